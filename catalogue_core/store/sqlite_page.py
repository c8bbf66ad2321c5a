"""SQLite: a landing page not cached reads the write generation and the record's summary with its page part at once."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import Any

from .base import StoredRecord
from .sqlite_counts import GENERATION, generation_of


def page_read(
    db: sqlite3.Connection, key: str, name: str, columns: str, summary: Callable[[sqlite3.Row], dict[str, Any]]
) -> tuple[int, StoredRecord | None]:
    """Return Repository.page_read's (generation, summary with part) from one statement: one snapshot, one round."""
    row = db.execute(_sql(columns), (key, name)).fetchone()
    generation = generation_of(row["generation"])
    if row["key"] is None:  # no such record: the LEFT JOIN still gives the generation's row
        return generation, None
    text = row["xml"]
    return generation, StoredRecord(**summary(row), rendered={} if text is None else {name: text})


@functools.cache
def _sql(columns: str) -> str:
    return (
        f"SELECT ({GENERATION}) AS generation, {columns}, p.xml FROM (SELECT 1)"
        " LEFT JOIN records r ON r.key = ? LEFT JOIN rendered p ON p.key = r.key AND p.prefix = ?"
    )
