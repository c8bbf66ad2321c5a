"""A graceful reload (SIGHUP, `systemctl reload`) lets a running download finish under real gunicorn."""

from __future__ import annotations

import hashlib
import os
import signal
import time
from pathlib import Path

import requests
from conftest import TOKEN, v4_document
from download_helpers import gunicorn

from download_cache.open_target import open_target
from download_cache.sources import Source
from download_cache.stage import Stager

DOI = "10.99999/reload-0001"
SIZE = 48 << 20  # far more than loopback socket buffers hold: the worker is still sending at the reload


def children(pid: int) -> set[int]:
    """Return the process ids of a process's children (the gunicorn workers of a master)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def wait_for(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout}s")
        time.sleep(0.05)


def test_a_download_under_way_survives_a_graceful_reload(tmp_path: Path) -> None:
    data = os.urandom(1 << 20) * (SIZE >> 20)
    source = tmp_path / "src"
    source.mkdir()
    (source / "big.bin").write_bytes(data)
    Stager(open_target(str(tmp_path / "area"))).stage(DOI, Source(str(source)))  # the real copier
    with gunicorn(tmp_path, DMZPUB_WORKERS="1", DMZPUB_PUSH_TOKENS=TOKEN) as app:
        base, master = app["base"], app["process"].pid
        headers = {"Authorization": f"Bearer {TOKEN}"}
        assert requests.put(f"{base}/api/v1/published/{DOI}", json=v4_document(DOI), headers=headers).status_code == 201
        old_workers = children(master)
        assert len(old_workers) == 1

        download = requests.get(f"{base}/download/{DOI}/big.bin", stream=True, timeout=30)
        assert download.status_code == 200
        received = hashlib.sha256()
        chunks = download.iter_content(1 << 16)
        for _ in range(16):  # the first MiB; the worker now blocks on a full socket
            received.update(next(chunks))

        os.kill(master, signal.SIGHUP)
        wait_for(lambda: children(master) - old_workers, "a new worker")
        # The new worker serves new requests while the old one is still sending.
        assert requests.get(f"{base}/healthz", timeout=10).status_code == 200
        assert old_workers <= children(master)

        for chunk in chunks:
            received.update(chunk)
        assert received.hexdigest() == hashlib.sha256(data).hexdigest()  # every byte, none cut off
        wait_for(lambda: not (old_workers & children(master)), "the old worker's exit")
    log = app["log"].read_text()
    assert "Handling signal: hup" in log
