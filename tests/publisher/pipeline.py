"""Helpers of the pipeline tests: source folders SciCat points at, and `dmzpub` services run as real processes."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from conftest import TOKEN

from .crash import DMZPUB
from .servers import LiveDMZ, SciCatStandIn

SCICAT_USER, SCICAT_PASSWORD = "dmzpub-reader", "reader-pass"


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    """Poll until `predicate` returns something true; return it, or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def make_folder(root: Path, files: Mapping[str, bytes]) -> dict[str, bytes]:
    """Write files under `root`; return them."""
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return dict(files)


def sha256(data: bytes) -> str:
    """Return the hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def pipeline_env(
    data_dir: Path, dmz: LiveDMZ, scicat: SciCatStandIn, download_dir: Path, **extra: str
) -> dict[str, str]:
    """Return the settings of an intranet host running the pipeline against these servers."""
    return {
        **os.environ,
        "DMZPUB_DATA_DIR": str(data_dir),
        "DMZPUB_PUSH_URL": dmz.url,
        "DMZPUB_PUSH_TOKEN": TOKEN,
        "DMZPUB_PUSH_BACKOFF": "0.05",
        "DMZPUB_PUSH_GIVE_UP": "5",
        "DMZPUB_PUSH_TIMEOUT": "10",
        "DMZPUB_SCICAT_URL": scicat.url,
        "DMZPUB_SCICAT_USER": SCICAT_USER,
        "DMZPUB_SCICAT_PASSWORD": SCICAT_PASSWORD,
        "DMZPUB_DOWNLOAD_DIR": str(download_dir),
        "DMZPUB_SYNC_INTERVAL": "0.3",
        "DMZPUB_SYNC_OVERLAP": "1",
        "DMZPUB_RECONCILE_INTERVAL": "3600",
        "DMZPUB_BASE_URL": "https://doi.example.org",
        **extra,
    }


class Service:
    """One long-running `dmzpub` command (sync --watch, stage-worker) with its log in a file."""

    def __init__(self, args: list[str], env: Mapping[str, str], log: Path) -> None:
        self.args, self.env, self.log_path = args, dict(env), log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Service:
        """Start (or restart) the command."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([DMZPUB, *self.args], env=self.env, stdout=log, stderr=subprocess.STDOUT)
        return self

    @property
    def pid(self) -> int:
        """Return the process id."""
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        """Return everything the command wrote."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill9(self) -> None:
        """Kill the command with SIGKILL, as a crash or the OOM killer would."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self, timeout: float = 30.0) -> int:
        """Send SIGTERM as systemd does on stop; return the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        """Make sure the command is gone (test teardown)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)


def status(data_dir: Path) -> dict[str, Any]:
    """Return the watcher's status file ({} until it exists)."""
    try:
        return json.loads((data_dir / "sync-status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
