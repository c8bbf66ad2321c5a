"""SQLite: a landing page not cached reads the write generation, the record's summary and its page part at once."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import Any

from .entries import PageRead, StoredRecord
from .sqlite_counts import GENERATION, generation_of
from .sqlite_rendered import ID_OF


def page_read(
    db: sqlite3.Connection, key: str, name: str, columns: str, summary: Callable[[sqlite3.Row], dict[str, Any]]
) -> PageRead:
    """Return Repository.page_read's (generation, summary, part) from one statement: one snapshot, one round.

    The part comes as its UTF-8 bytes (CAST AS BLOB): the page splices them as they are, never decoded.
    """
    row = db.execute(_sql(columns), (key, name)).fetchone()
    generation = generation_of(row["generation"])
    if row["key"] is None:  # no such record: the LEFT JOIN still gives the generation's row
        return generation, None, None
    return generation, StoredRecord(**summary(row)), row["part"]


@functools.cache
def _sql(columns: str) -> str:
    return (
        f"SELECT ({GENERATION}) AS generation, {columns}, CAST(p.xml AS BLOB) AS part FROM (SELECT 1)"
        f" LEFT JOIN records r ON r.key = ? LEFT JOIN rendered p ON p.id = {ID_OF}"
    )
