"""Helpers of the download tests: datasets on disk, the CLI in a subprocess, real sshd and nginx."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def sha256(data: bytes) -> str:
    """Return the hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def make_dataset(folder: Path, files: dict[str, bytes]) -> dict[str, bytes]:
    """Write files under `folder` (relative paths) and return them."""
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


def random_bytes(size: int, seed: int = 0) -> bytes:
    """Return `size` reproducible pseudo-random bytes."""
    import random

    return random.Random(seed).randbytes(size)


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, process: subprocess.Popen, what: str, timeout: float = 15.0) -> None:
    """Wait until something listens on the port; fail loudly with the process output otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise RuntimeError(f"{what} exited with {process.returncode}: {out}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout}s")


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Return the environment of a `dmzpub` subprocess writing under tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMZPUB_")}
    env.update({"DMZPUB_DATA_DIR": str(tmp_path / "var"), "DMZPUB_DOWNLOAD_DIR": str(tmp_path / "area"), **extra})
    return env


def dmzpub(*args: str) -> list[str]:
    """Return the command line running `dmzpub` with this interpreter."""
    return [sys.executable, "-c", "from oai_server.cli import run; run()", *args]


def stop(process: subprocess.Popen) -> None:
    """Stop a process this test started."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def require(binary: str) -> str:
    """Return the path of a program the test needs; fail (never skip) when it is missing."""
    found = shutil.which(binary) or (f"/usr/sbin/{binary}" if Path(f"/usr/sbin/{binary}").exists() else None)
    if not found:
        raise RuntimeError(f"{binary} is not installed: run `make deps-apt` (make test does it)")
    return found


@contextmanager
def sshd(tmp_path: Path) -> Iterator[dict[str, object]]:
    """Run a real OpenSSH server on a free loopback port with a generated host key and client key."""
    binary = require("sshd")
    keygen = require("ssh-keygen")
    folder = tmp_path / "sshd"
    folder.mkdir()
    for name in ("host_key", "client_key"):
        subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name)], check=True)
    (folder / "authorized_keys").write_text((folder / "client_key.pub").read_text())
    port = free_port()
    config = folder / "sshd_config"
    config.write_text(
        f"""Port {port}
ListenAddress 127.0.0.1
HostKey {folder / "host_key"}
PidFile {folder / "sshd.pid"}
AuthorizedKeysFile {folder / "authorized_keys"}
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
Subsystem sftp internal-sftp
"""
    )
    # sshd insists on its privilege separation folder; creating it changes no configuration.
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    process = subprocess.Popen(
        [binary, "-D", "-e", "-f", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        wait_port(port, process, "sshd")
        user = os.environ.get("USER") or __import__("pwd").getpwuid(os.getuid()).pw_name
        known_hosts = folder / "known_hosts"
        key_type, key_data = (folder / "host_key.pub").read_text().split()[:2]
        known_hosts.write_text(f"[127.0.0.1]:{port} {key_type} {key_data}\n")
        yield {"port": port, "user": user, "key": str(folder / "client_key"), "known_hosts": str(known_hosts)}
    finally:
        stop(process)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """Make a self-signed certificate for 127.0.0.1 with openssl; return (certificate, key)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *(require("openssl"), "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def nginx_config(
    folder: Path,
    upstream: int,
    port: int,
    area: Path,
    cert: Path,
    key: Path,
    extra: str = "",
    http_port: int = 0,
    connections: int = 256,
    workers: str = "1",
) -> Path:
    """Render deploy/nginx.conf for loopback ports and wrap it in a main configuration of its own."""
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    replacements = {
        "server 127.0.0.1:8080;": f"server 127.0.0.1:{upstream};",
        "listen 80;": f"listen 127.0.0.1:{http_port or free_port()};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "/etc/ssl/dmzpub/fullchain.pem": str(cert),
        "/etc/ssl/dmzpub/privkey.pem": str(key),
        "/var/lib/dmzpub/downloads/": f"{area}/",
        "/usr/share/dmzpub/maintenance.html": str(ROOT / "deploy" / "maintenance.html"),
    }
    for old, new in replacements.items():
        assert old in site, f"deploy/nginx.conf no longer has {old!r}"
        site = site.replace(old, new)
    if extra:
        site = site.rstrip().removesuffix("}") + extra + "\n}\n"
    (folder / "site.conf").write_text(site)
    main = folder / "nginx.conf"
    temp = "\n".join(
        f"    {name}_temp_path {folder / name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main.write_text(
        f"""daemon off;
user root;
worker_processes {workers};
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
worker_rlimit_nofile {connections * 2};
events {{ worker_connections {connections}; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
{temp}
    include {folder / "site.conf"};
}}
"""
    )
    return main


@contextmanager
def nginx(
    folder: Path, upstream: int, area: Path, extra: str = "", connections: int = 256, workers: str = "1"
) -> Iterator[dict[str, object]]:
    """Run real nginx with deploy/nginx.conf on a free loopback port, HTTPS with a self-signed certificate."""
    binary = require("nginx")
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = self_signed(folder)
    port, http_port = free_port(), free_port()
    config = nginx_config(folder, upstream, port, area, cert, key, extra, http_port, connections, workers)
    check = subprocess.run([binary, "-t", "-c", str(config), "-e", str(folder / "error.log")], capture_output=True)
    if check.returncode:
        raise RuntimeError(f"nginx refused its configuration: {check.stderr.decode()}")
    process = subprocess.Popen(
        [binary, "-c", str(config), "-e", str(folder / "error.log")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        wait_port(port, process, "nginx")
        yield {"port": port, "cert": str(cert), "base": f"https://127.0.0.1:{port}", "http_port": http_port}
    finally:
        stop(process)


@contextmanager
def gunicorn(tmp_path: Path, startup: float = 60.0, **settings: str) -> Iterator[dict[str, object]]:
    """Run `dmzpub serve` (gunicorn) on a free loopback port with the given settings; wait `startup` s for it."""
    port = free_port()
    env = cli_env(tmp_path, **{"DMZPUB_BIND": f"127.0.0.1:{port}", "DMZPUB_WORKERS": "2", **settings})
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115  (closed below)
    process = subprocess.Popen(dmzpub("serve"), env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        try:
            wait_port(port, process, "gunicorn", timeout=startup)  # a loaded machine starts it slowly
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{(tmp_path / 'gunicorn.log').read_text()}") from None
        yield {"port": port, "base": f"http://127.0.0.1:{port}", "process": process, "log": tmp_path / "gunicorn.log"}
    finally:
        stop(process)
        log.close()
