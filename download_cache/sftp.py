"""One SFTP session per thread over a shared SSH connection: paramiko's SFTP client is not thread-safe."""

from __future__ import annotations

import stat
import threading
from typing import Any


class ThreadSFTP:
    """Open an SFTP channel per thread on the SSH connection of an fsspec SFTP file system."""

    def __init__(self, fs: Any) -> None:
        self.fs = fs
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[Any] = []

    def get(self) -> Any:
        """Return this thread's SFTP client."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self.fs.client.open_sftp()
            self._local.client = client
            with self._lock:
                self._opened.append(client)
        return client

    def close(self) -> None:
        """Close every channel opened so far."""
        with self._lock:
            opened, self._opened = self._opened, []
        for client in opened:
            client.close()
        self._local = threading.local()


def kind(mode: int | None) -> str:
    """Return fsspec's type name for a stat mode."""
    if mode is None:
        return "other"
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "directory"
    return "file" if stat.S_ISREG(mode) else "other"
