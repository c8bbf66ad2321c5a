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
    env.update(DMZPUB_DATA_DIR=str(tmp_path / "var"), DMZPUB_DOWNLOAD_DIR=str(tmp_path / "area"), **extra)
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
        yield {"port": port, "user": user, "key": str(folder / "client_key")}
    finally:
        stop(process)
