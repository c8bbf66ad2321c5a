"""What a reindex reads of a page of SQLite records: payload, every rendering and the search text, in two queries."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from ..compact_json import loads
from .entries import StoredRecord
from .sqlite_batch import rows_by_key
from .sqlite_rendered import OF_RECORDS


def sources(
    db: sqlite3.Connection, keys: Sequence[str], columns: str, summary: Callable[[sqlite3.Row], dict[str, Any]]
) -> list[tuple[StoredRecord, str]]:
    """Return (record, search text) of the live records among `keys`, in the order of `keys`."""
    rendered: dict[str, dict[str, str]] = {}
    for key, prefix, xml in rows_by_key(db, OF_RECORDS, keys):
        rendered.setdefault(key, {})[prefix] = xml
    rendered = {key: dict(sorted(formats.items())) for key, formats in rendered.items()}  # by prefix, as get's
    found: dict[str, tuple[StoredRecord, str]] = {}
    for row in rows_by_key(db, f"SELECT {columns}, r.payload, r.search FROM records r", keys):
        if not row["deleted"]:
            payload, plain = loads(row["payload"])  # plain: the reindex's record walks none of it again
            record = StoredRecord(
                **summary(row), payload=payload, rendered=rendered.get(row["key"], {}), payload_plain=plain
            )
            found[row["key"]] = (record, row["search"])
    return [found[key] for key in keys if key in found]
