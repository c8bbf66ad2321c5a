"""SQLite WAL checkpoints in a background thread, so that no write waits for their disk flushes."""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Callable

from ..errors import StoreError

# Seconds between checkpoints while this process writes: the WAL holds at most this long's writes.
INTERVAL = 0.5


class Checkpointer:
    """Copy the WAL into the database file soon after this process's commits, off the writing thread.

    With `synchronous=NORMAL` a WAL commit never flushes to disk; a checkpoint flushes the WAL and
    the file. SQLite's automatic checkpoint runs inside whichever commit fills the WAL past 1,000
    pages, so about one PUT in a hundred waited for two flushes (over a second on a busy disk).
    The store's connections turn it off (`PRAGMA wal_autocheckpoint=0`) and call `committed()`.
    """

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        interval: float = INTERVAL,
        before: Callable[[], None] = lambda: None,
    ) -> None:
        self._connect = connect
        self._before = before  # run before each checkpoint, in this thread (the search index's catch-up)
        self.interval = interval
        self._dirty = threading.Event()
        # Held while this thread runs SQLite: a fork waits for it (_watch_forks), or the child would inherit
        # SQLite's process-wide mutexes locked by a thread it does not have (a reindex worker hung opening its store).
        self.working = threading.Lock()
        _watch_forks(self)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self.runs = 0  # checkpoints done (tests watch it)

    def committed(self) -> None:
        """Note a commit; start this process's thread on its first (threads do not survive a fork)."""
        self._dirty.set()
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._stop = threading.Event()
                    self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
                    self._thread.start()
                    self._pid = os.getpid()

    def _run(self) -> None:
        db: sqlite3.Connection | None = None
        stop = self._stop
        try:
            while not stop.is_set():
                self._dirty.wait()
                if stop.wait(self.interval):  # let a burst of commits gather into one checkpoint
                    break
                self._dirty.clear()
                with self.working:
                    db = self._checkpoint(db)
        finally:
            if db is not None:
                with self.working:
                    db.close()

    def _checkpoint(self, db: sqlite3.Connection | None) -> sqlite3.Connection | None:
        """Fold, then checkpoint through `db` (opened on first use); return the connection to keep."""
        self._fold()
        try:
            db = db or self._connect()
            # PASSIVE: copies what no reader still needs and never blocks readers or writers.
            db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.runs += 1
        except sqlite3.Error:
            pass  # the file is busy or gone: the next commit asks again, and the last close checkpoints
        return db

    def _fold(self) -> None:
        try:
            self._before()
        except (sqlite3.Error, StoreError):
            self._dirty.set()  # busy: the checkpoint runs all the same, and the next round tries again

    def close(self) -> None:
        """Stop this process's thread (SQLite checkpoints the WAL when its last connection closes)."""
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is not None and self._pid == os.getpid():
                self._stop.set()
                self._dirty.set()
                thread.join()
            self._pid = 0


_WATCHED: weakref.WeakSet[Checkpointer] = weakref.WeakSet()
_HELD: list[Checkpointer] = []  # what the fork in progress waited for, released after it on both sides
_HOOKED: list[bool] = []  # the fork hooks are registered (once a process: a forked child keeps its parent's)


def _watch_forks(checkpointer: Checkpointer) -> None:
    """Make every later os.fork() of this process wait until no checkpoint thread is inside SQLite."""
    if not _HOOKED:
        os.register_at_fork(before=_hold, after_in_parent=_release, after_in_child=_release)
        _HOOKED.append(True)
    _WATCHED.add(checkpointer)


def _hold() -> None:
    _HELD[:] = list(_WATCHED)
    for checkpointer in _HELD:
        checkpointer.working.acquire()


def _release() -> None:
    for checkpointer in _HELD:
        checkpointer.working.release()
    _HELD.clear()
