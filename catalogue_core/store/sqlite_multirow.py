"""SQLite: many rows in one INSERT statement, in a few statement sizes (each one prepared statement per connection)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

# Rows per INSERT statement at most: see sizes.
ROWS = 128


def insert(db: sqlite3.Connection, head: str, row: str, rows: Sequence[Sequence[Any]], tail: str = "") -> list[Any]:
    """Run `head VALUES row, row, ...tail` over `rows` (the same rows, in order, as one statement each); return
    what the statements return (`tail`: a RETURNING clause)."""
    start, out = 0, []
    for size in sizes(len(rows)):
        chunk = rows[start : start + size]
        out += db.execute(f"{head} VALUES {', '.join([row] * size)}{tail}", flat(chunk)).fetchall()
        start += size
    return out


def sizes(n: int) -> list[int]:
    """Split n rows into statements of ROWS and powers of two below it (37: 32, 4, 1)."""
    # Few distinct statements, whatever the batch sizes: each size is a prepared statement in the
    # connection's cache (~480 kB for 512 rows: 128 sizes near 512 took 62 MB), so 8 sizes of 128
    # rows and below, ~330 kB in all per connection.
    out = [ROWS] * (n // ROWS)
    rest, size = n % ROWS, ROWS
    while rest:
        size //= 2
        if rest >= size:
            out.append(size)
            rest -= size
    return out


def flat(rows: Sequence[Sequence[Any]]) -> list[Any]:
    """Return the rows' values in one list, row after row (a multi-row statement's parameters)."""
    return [value for row in rows for value in row]
