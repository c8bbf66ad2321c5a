"""SQLite: a store's writers take turns through a file lock, so a waiting writer gets in within ~1 ms of the last."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import StoreUnavailable

# As long as SQLite's busy timeout on the store's connections: a write waits this long, then is a 503.
WAIT = 30.0
# SQLite's own busy handler sleeps 1, 2, 5, ... 50, 100 ms between tries: two gunicorn workers writing
# bulk batches in turns left the lock free ~20 % of their waits (bench/push.py, bench/sync.py).
POLL = 0.001


class WriteTurn:
    """One exclusive turn at writing a SQLite file among this store's threads and processes (flock on a side file).

    SQLite's own lock (BEGIN IMMEDIATE) still guards the file: a writer that does not take turns here
    (an older release mid-upgrade, the sqlite3 shell) is waited for by the busy timeout as before.
    """

    def __init__(self, path: str) -> None:
        self.store = path
        self.path = None if path == ":memory:" else path + "-writer"
        self._local = threading.local()
        self._all: list[int] = []
        self._all_lock = threading.Lock()

    def _fd(self) -> int | None:
        """Return this thread's descriptor of the lock file (one open file each: flock tells them apart)."""
        fd: int | None = getattr(self._local, "fd", None)
        if fd is None and self.path is not None:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError:
                return None  # a read-only folder: SQLite's lock alone, and the write fails there anyway
            self._local.fd = fd
            with self._all_lock:
                self._all.append(fd)
        return fd

    @contextmanager
    def held(self, wait: float | None = None) -> Iterator[None]:
        """Hold the turn for the block; raise StoreUnavailable after `wait` (None: WAIT) seconds of others' turns."""
        wait = WAIT if wait is None else wait
        fd = self._fd()
        if fd is None:
            yield
            return
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreUnavailable(f"SQLite store {self.store} is not writable: busy for {wait:g} s") from None
                time.sleep(POLL)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close every thread's descriptor (a turn held is given back)."""
        with self._all_lock:
            for fd in self._all:
                os.close(fd)
            self._all.clear()
        self._local = threading.local()

    def after_fork(self) -> None:
        """Forget the parent's descriptors: a child sharing one would share the parent's turn."""
        # Closed, never unlocked: the lock belongs to the open file the parent still holds.
        with self._all_lock:
            for fd in self._all:
                os.close(fd)
        self._local, self._all, self._all_lock = threading.local(), [], threading.Lock()
