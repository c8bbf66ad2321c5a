"""What a reindex reads of a page of SQLite records: payload, every rendering and the search text, in two queries."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from .base import StoredRecord

# Keys per query: well under SQLite's limit of bound parameters (32,766).
_CHUNK = 1000


def sources(
    db: sqlite3.Connection, keys: Sequence[str], columns: str, summary: Callable[[sqlite3.Row], dict[str, Any]]
) -> list[tuple[StoredRecord, str]]:
    """Return (record, search text) of the live records among `keys`, in the order of `keys`."""
    found: dict[str, tuple[StoredRecord, str]] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = list(keys[start : start + _CHUNK])
        marks = ",".join("?" * len(chunk))
        rendered: dict[str, dict[str, str]] = {}
        for key, prefix, xml in db.execute(f"SELECT key, prefix, xml FROM rendered WHERE key IN ({marks})", chunk):
            rendered.setdefault(key, {})[prefix] = xml
        rows = db.execute(
            f"SELECT {columns}, r.payload, r.search FROM records r WHERE r.key IN ({marks}) AND r.deleted = 0", chunk
        )
        for row in rows:
            record = StoredRecord(
                **summary(row), payload=json.loads(row["payload"]), rendered=rendered.get(row["key"], {})
            )
            found[row["key"]] = (record, row["search"])
    return [found[key] for key in keys if key in found]
