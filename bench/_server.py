"""Start `dmzpub serve` (gunicorn) on a free loopback port for a benchmark, and stop it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def dmzpub_server(env: dict[str, str], workers: int = 2, threads: int = 4) -> Iterator[str]:
    """Run gunicorn through `dmzpub serve`; yield its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    full_env = {
        **os.environ,
        **env,
        "DMZPUB_BASE_URL": base,
        "DMZPUB_WORKERS": str(workers),
        "DMZPUB_THREADS": str(threads),
    }
    script = Path(sys.executable).with_name("dmzpub")
    proc = subprocess.Popen(
        [str(script), "serve", "--bind", f"127.0.0.1:{port}"],
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            raise RuntimeError("dmzpub serve did not come up within 30 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
