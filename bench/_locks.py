"""Time the SQLite write lock in a benchmarked server: how long each BEGIN IMMEDIATE waited and how long it was held.

The server is started by a command that first swaps sqlite3.connect for one whose connections time
`BEGIN IMMEDIATE` (the wait for the write lock, SQLite's busy handler included, and any wait for a file
lock taken just before it: fcntl.flock is wrapped too) and the transaction up to its COMMIT or ROLLBACK
(the lock held), then runs dmzpub as usual; gunicorn's workers inherit the swap
when they fork. Each worker appends a line per write transaction to a file the bench reads afterwards.
A wait starts at the first refused try of the turn that led to the BEGIN: a try given up (the store's
checkpoint thread tries once a round and goes on with other SQL) does not start the next write's wait.
It works on any commit's code (it wraps sqlite3, not dmzpub), so a --baseline run is timed the same way.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

# Run in the server before dmzpub is imported; LOG is the file to append "pid asked got released thread" lines
# to (CLOCK_MONOTONIC seconds: one clock for every process of the machine; the thread's name, to tell who held it).
PATCH = """
import fcntl, os, sqlite3, threading, time
_LOG, _connect, _flock, _asked = {log!r}, sqlite3.connect, fcntl.flock, threading.local()

def _timed_flock(fd, operation):  # a store that takes turns through a file lock first: its wait counts too
    try:
        return _flock(fd, operation)
    except BlockingIOError:
        if getattr(_asked, "at", None) is None:
            _asked.at = time.monotonic()
        raise

class _Timed(sqlite3.Connection):
    began = None
    def execute(self, sql, *args):
        if sql == "BEGIN IMMEDIATE":
            self.asked, _asked.at = getattr(_asked, "at", None) or time.monotonic(), None
            cursor = super().execute(sql, *args)
            self.began = time.monotonic()
            return cursor
        # Other SQL between a refused try and a BEGIN: that try was given up. Counted from it, the checkpoint
        # thread's fold "waited" 0.5-2.7 s (its tries of 1 ms each, a round apart), the longest waits printed.
        _asked.at = None
        cursor = super().execute(sql, *args)
        if self.began is not None and sql in ("COMMIT", "ROLLBACK"):
            began, self.began = self.began, None
            with open(_LOG, "a") as out:
                name = threading.current_thread().name.replace(" ", "_")
                out.write(f"{{os.getpid()}} {{self.asked:.6f}} {{began:.6f}} {{time.monotonic():.6f}} {{name}}\\n")
        return cursor

def _timed_connect(*args, **kwargs):
    kwargs.setdefault("factory", _Timed)
    return _connect(*args, **kwargs)

sqlite3.connect, fcntl.flock = _timed_connect, _timed_flock
"""


def timed_command(command: list[str] | None, log: Path) -> list[str]:
    """Return `command` (a `checkout_command`, or None for this checkout's `dmzpub`) with the lock timing set up."""
    patch = PATCH.format(log=str(log))
    if command is None:
        return [sys.executable, "-c", patch + "\nfrom oai_server.cli import main; main()"]
    *head, code = command  # checkout_command's last argument is the code it runs
    return [*head, patch + "\n" + code]


@dataclass(frozen=True)
class LockTimes:
    """The write transactions of one run: how many waited for the lock, the waits, and the lock held, summed."""

    writes: int
    waited: int
    wait_s: float
    late_s: float  # of the waits, the time the lock was free and the waiter not yet in (SQLite's busy handler sleeps)
    held_s: float
    longest_wait_s: float

    def line(self, wall: float) -> str:
        """Return the printed summary; `wall` is the run's duration, which the lock was held part of."""
        if not self.writes:
            return "no write transactions"
        return (
            f"{self.writes} writes, {self.waited} waited >1 ms for the lock"
            f" ({self.wait_s * 1e3:.0f} ms in all, longest {self.longest_wait_s * 1e3:.0f} ms,"
            f" {self.late_s * 1e3:.0f} ms of it with the lock free); lock held {self.held_s / wall * 100:.0f} %"
            f" of the run, {self.held_s / self.writes * 1e3:.0f} ms a write"
        )


def read_times(log: Path, skip: int = 0) -> tuple[LockTimes, int]:
    """Return the times logged after the first `skip` lines, and the lines read in all."""
    lines = log.read_text().splitlines()[skip:] if log.exists() else []
    spans = sorted(tuple(float(field) for field in line.split()[1:4]) for line in lines)
    waits = [got - asked for asked, got, _ in spans]
    long = [wait for wait in waits if wait > 0.001]
    released = sorted(end for _, _, end in spans)
    late = 0.0
    for asked, got, _ in spans:
        if got - asked > 0.001:
            free = max((end for end in released if end <= got), default=asked)  # the release that let it in
            late += max(0.0, got - max(asked, free))
    held = sum(end - got for _, got, end in spans)
    return LockTimes(len(spans), len(long), sum(long), late, held, max(waits, default=0.0)), skip + len(lines)
