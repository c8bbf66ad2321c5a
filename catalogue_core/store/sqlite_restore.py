"""SQLite: records written verbatim (an import, `dmzpub import`), nothing re-stamped."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from . import sqlite_rendered, sqlite_sets
from .base import json_text, restored_status, restored_thumbnail
from .entries import StoredRecord
from .sqlite_layout import COLUMNS
from .thumbnails import sqlite_write

_INSERT = f"INSERT OR REPLACE INTO records ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING rowid"


def restore(db: sqlite3.Connection, records: Sequence[tuple[StoredRecord, str]]) -> None:
    """Write records verbatim (an import), each with its search text, in the caller's transaction."""
    for record, search in records:
        held = db.execute("SELECT id, datestamp, sets FROM records WHERE key = ?", (record.key,)).fetchone()
        [(rowid,)] = db.execute(_INSERT, _restored_row(record, search)).fetchall()
        sqlite_rendered.delete(db, [held["id"]] if held else [])  # before the new ones: a rowid may be reused
        sqlite_rendered.write(db, [(rowid, record.rendered)])
        sqlite_sets.write(db, record.key, record.datestamp, held)
        sqlite_write(db, record.key, restored_thumbnail(record))


def _restored_row(record: StoredRecord, search: str) -> tuple[object, ...]:
    return (
        record.key,
        record.doi,
        record.datestamp,
        record.created,
        int(record.deleted),
        record.reason,
        record.content_hash,
        json_text(list(record.sets)),
        search,
        json_text(record.metadata),
        json_text(record.extras),
        json_text(record.payload),
        restored_status(record),
    )
