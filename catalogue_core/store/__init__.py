"""Record stores: MongoDB in production, SQLite as the embedded default."""

from __future__ import annotations

from pathlib import Path

from .base import Repository
from .entries import Entry, ListedRecord, ListQuery, PageRead, Rerendered, StoredRecord, StoreStats, WriteResult

__all__ = [
    "Entry",
    "ListQuery",
    "ListedRecord",
    "PageRead",
    "Repository",
    "Rerendered",
    "StoreStats",
    "StoredRecord",
    "WriteResult",
    "open_store",
]


def open_store(mongo_uri: str | None, data_dir: str | Path) -> Repository:
    """Return the MongoDB store when a URI is given, else the SQLite file under data_dir."""
    if mongo_uri:
        from .mongo import MongoRepository

        return MongoRepository(mongo_uri)
    from .sqlite import SQLiteRepository

    return SQLiteRepository(Path(data_dir) / "dmzpub.sqlite")
