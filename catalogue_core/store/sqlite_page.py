"""SQLite: a landing page not cached reads the write generation, the record's summary and its page part at once."""

from __future__ import annotations

import dataclasses
import functools
import sqlite3
from collections.abc import Callable
from typing import Any

from .base import PageRead, StoredRecord
from .sqlite_counts import GENERATION, generation_of

# A summary's fields that page_read's row does not hold: StoredRecord's defaults, and its factories' (fresh dicts).
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(StoredRecord) if f.default is not dataclasses.MISSING}
_FACTORIES = [
    (f.name, f.default_factory)
    for f in dataclasses.fields(StoredRecord)
    if f.default_factory is not dataclasses.MISSING
]


def page_read(
    db: sqlite3.Connection, key: str, name: str, columns: str, summary: Callable[[Any], dict[str, Any]]
) -> PageRead:
    """Return Repository.page_read's (generation, summary, part) from one statement: one snapshot, one round.

    The part comes as its UTF-8 bytes (CAST AS BLOB): the page splices them as they are, never decoded.
    `summary` gives a StoredRecord's fields from a mapping of the summary's columns.
    """
    cursor = db.cursor()
    # Plain tuples, named once in a dict: sqlite3.Row's look-ups by name (eleven) and StoredRecord's
    # frozen __init__ were a fifth of this read's Python time.
    cursor.row_factory = None
    generation, *values, part = cursor.execute(_sql(columns), (key, name)).fetchone()
    if values[0] is None:  # no such record: the LEFT JOIN still gives the generation's row
        return generation_of(generation), None, None
    return generation_of(generation), _record(summary(dict(zip(_names(columns), values, strict=True)))), part


def _record(fields: dict[str, Any]) -> StoredRecord:
    """Return StoredRecord(**fields): an equal object, its __dict__ filled at once (as landing.parts.written_page)."""
    record = object.__new__(StoredRecord)
    record.__dict__.update(_DEFAULTS, **{name: make() for name, make in _FACTORIES}, **fields)
    return record


@functools.cache
def _names(columns: str) -> tuple[str, ...]:
    """Return the names of the selected columns ("r.key, r.doi" -> ("key", "doi"))."""
    return tuple(column.strip().rpartition(".")[2] for column in columns.split(","))


@functools.cache
def _sql(columns: str) -> str:
    return (
        f"SELECT ({GENERATION}) AS generation, {columns}, CAST(p.xml AS BLOB) AS part FROM (SELECT 1)"
        " LEFT JOIN records r ON r.key = ? LEFT JOIN rendered p ON p.key = r.key AND p.prefix = ?"
    )
