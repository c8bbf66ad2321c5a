"""SQLite's harvest watermark: safe_now waits for the write running, instead of each write committing a marker."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import StoreUnavailable


@contextmanager
def settled(db: sqlite3.Connection, path: str) -> Iterator[None]:
    """Hold the store's write lock while the caller reads the clock: no write is half done meanwhile.

    SQLite runs one write at a time, and each takes its datestamps after BEGIN IMMEDIATE. So a
    write that committed before the lock was taken is visible to every later read, and one that
    starts after it is released stamps a time after the clock read here: a harvester asking
    `from=` that time misses neither. (A marker committed before each write said the same, at
    the price of a second commit per write.)
    """
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:  # busy past the timeout, a disk error: the harvest is answered "try later"
        raise StoreUnavailable(f"SQLite store {path} failed: {exc}") from exc
    try:
        yield
    finally:
        db.execute("ROLLBACK")
