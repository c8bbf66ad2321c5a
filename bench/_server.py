"""Start `dmzpub serve` (gunicorn) on a free loopback port for a benchmark, and stop it."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def interpreter() -> str:
    """Return the Python running the bench (and the servers it starts) and whether it was built with PGO and LTO.

    The image's base (python:3.13-slim) has both; pyenv's 3.13.0 has neither, and ran an in-process PUT ~7 % and a
    reindexed record ~2 % slower than 3.13.5 built as that image's is (same moment). Compare figures taken alike.
    """
    args = sysconfig.get_config_var("CONFIG_ARGS") or ""
    built = [name for flag, name in (("--enable-optimizations", "PGO"), ("--with-lto", "LTO")) if flag in args]
    # Distributions may build with both without saying so here (Debian's python3 does): "not configured" then.
    kind = "configured with " + " + ".join(built) if built else "not configured with --enable-optimizations --with-lto"
    return f"{platform.python_implementation()} {platform.python_version()} ({kind}; {sys.executable})"


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerURL(str):
    """The base URL of a benchmarked server, carrying the id of the process it runs under."""

    pid: int


def tree_cpu(pid: int) -> float:
    """Return the CPU seconds (user + system) a process and its live descendants have used, with what they reaped.

    On a loaded machine wall-clock figures mostly measure the other load; the server's own CPU
    time per record does not.
    """
    total, stack, tick = 0.0, [pid], os.sysconf("SC_CLK_TCK")
    while stack:
        process = stack.pop()
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
            # utime, stime, then cutime, cstime: children already waited for (a short-lived fork) count too.
            total += sum(int(field) for field in fields[11:15]) / tick
            for task in Path(f"/proc/{process}/task").iterdir():
                stack += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue  # it ended meanwhile
    return total


def children_cpu(pid: int) -> dict[int, float]:
    """Return the CPU seconds of each direct child of a process (gunicorn's workers), by process id."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            out[int(child)] = tree_cpu(int(child))
    return out


@contextmanager
def dmzpub_server(
    env: dict[str, str], workers: int = 2, threads: int = 4, command: list[str] | None = None
) -> Iterator[str]:
    """Run gunicorn through `dmzpub serve` (or `command`, which takes the same arguments); yield its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    full_env = {
        **os.environ,
        **env,
        "DMZPUB_BASE_URL": base,
        "DMZPUB_WORKERS": str(workers),
        "DMZPUB_THREADS": str(threads),
    }
    # This checkout's code: `python -c` runs with its working directory, ROOT, first on the path. The venv's `dmzpub`
    # script would run the tree its editable install points at, not a worktree's (a worktree's A/B measured main twice).
    command = command or [sys.executable, "-c", "from oai_server.cli import main; main()"]
    # The server's log goes to a file, so a server that never comes up can say why.
    log = tempfile.TemporaryFile()  # noqa: SIM115 (outlives this block: closed in the finally below)
    proc = subprocess.Popen(
        [*command, "serve", "--bind", f"127.0.0.1:{port}"],
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 120  # a loaded machine boots gunicorn slowly
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):  # a cold store of a million records answers slowly
                time.sleep(0.1)
            if proc.poll() is not None:
                break
        else:
            proc.poll()
        if proc.returncode is not None or time.monotonic() >= deadline:
            log.seek(0)
            tail = log.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"dmzpub serve did not come up (exit {proc.returncode}):\n{tail}")
        url = ServerURL(base)
        url.pid = proc.pid
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def checkout_command(ref: str, folder: Path) -> list[str]:
    """Return a `dmzpub` command line running the code of git ref `ref` (exported into `folder`)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    site = next(p for p in sys.path if p.endswith("site-packages"))
    # -S: without site processing the editable install's import hook does not load, so the
    # exported tree (first on the path) is imported instead of this checkout.
    code = f"import sys; sys.path[:0] = [{str(folder)!r}, {site!r}]; from oai_server.cli import main; main()"
    return [sys.executable, "-S", "-c", code]
