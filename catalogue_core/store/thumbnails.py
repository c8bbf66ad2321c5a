"""Thumbnails decoded at write, kept beside the records (never in list rows); the migration that fills them."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Sequence
from typing import Any

from ..thumbnail import Thumbnail
from ..thumbnail import source as thumbnail_source
from .base import Repository, restored_thumbnail
from .sqlite_rows import many

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS thumbnails (
    key TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL
);
"""
# Records read per page while filling thumbnails (each read whole: the payload holds the data URL).
_PAGE = 200


def sqlite_write(db: sqlite3.Connection, key: str, image: Thumbnail | None) -> None:
    """Keep or drop a record's thumbnail, inside the caller's write transaction."""
    sqlite_write_many(db, [(key, image)])


def sqlite_write_many(db: sqlite3.Connection, images: Sequence[tuple[str, Thumbnail | None]]) -> None:
    """Keep or drop the thumbnails of distinct records, inside the caller's write transaction."""
    many(db, "DELETE FROM thumbnails WHERE key = ?", [(key,) for key, image in images if image is None])
    many(
        db,
        "INSERT OR REPLACE INTO thumbnails VALUES (?, ?, ?, ?)",
        [(key, image.media_type, image.sha256, image.data) for key, image in images if image is not None],
    )


def sqlite_read(rows: list[sqlite3.Row]) -> Thumbnail | None:
    """Return the thumbnail of a `SELECT media_type, sha256, data` answer."""
    return Thumbnail(rows[0]["media_type"], bytes(rows[0]["data"]), rows[0]["sha256"]) if rows else None


def mongo_doc(key: str, image: Thumbnail) -> dict[str, Any]:
    """Return the document of a thumbnail in the `thumbnails` collection."""
    return {"_id": key, "media_type": image.media_type, "sha256": image.sha256, "data": image.data}


def from_mongo(doc: dict[str, Any] | None) -> Thumbnail | None:
    """Return the thumbnail of a `thumbnails` document."""
    return Thumbnail(doc["media_type"], bytes(doc["data"]), doc["sha256"]) if doc else None


def fill(repo: Repository) -> None:
    """Schema step 2: decode the thumbnail of every live record once, as a write now does."""
    after = None
    while page := repo.list_keys(after, _PAGE):
        for summary in page:
            if not summary.deleted and (record := repo.get(summary.key, formats=())) is not None:
                repo.save_thumbnail(summary.key, restored_thumbnail(record))
        after = page[-1].key


# MongoDB keeps documents under 16 MiB, and a thumbnail's data URL alone may be that large: the
# stored payload holds this marker in its place, put back from the decoded image when read.
DETACHED = "dmzpub:thumbnail-kept-apart"


def detached(payload: Any) -> Any:
    """Return the payload with its thumbnail data URL (the one `thumbnail.source` reads) replaced by the marker."""
    if not isinstance(payload, dict):
        return payload
    return _swapped(payload, thumbnail_source(payload), DETACHED)


def attached(payload: Any, image: Thumbnail | None) -> Any:
    """Return the payload with the marker replaced by the image's data URL again (as SciCat sends them)."""
    if not isinstance(payload, dict) or image is None:
        return payload
    url = f"data:{image.media_type};base64," + base64.b64encode(image.data).decode("ascii")
    return _swapped(payload, DETACHED, url)


def _swapped(payload: dict[str, Any], old: Any, new: str) -> dict[str, Any]:
    """Return a copy with `thumbnail` (top level or under `metadata`, as SciCat versions put it) `old` set to `new`."""
    out = dict(payload)
    if out.get("thumbnail") == old:
        out["thumbnail"] = new
    metadata = out.get("metadata")
    if isinstance(metadata, dict) and metadata.get("thumbnail") == old:
        out["metadata"] = {**metadata, "thumbnail": new}
    return out
