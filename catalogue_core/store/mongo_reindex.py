"""What a reindex reads of a page of MongoDB records: payload, every rendering and the search text, in one query."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from typing import Any

from pymongo.collection import Collection

from . import thumbnails
from .entries import StoredRecord


def sources(
    records: Collection[Any],
    images: Collection[Any],
    keys: Sequence[str],
    summary: Callable[[dict[str, Any]], StoredRecord],
) -> list[tuple[StoredRecord, str]]:
    """Return (record, search text) of the live records among `keys`, in the order of `keys`."""
    docs = records.find({"_id": {"$in": list(keys)}, "deleted": False}, {"metadata": 0, "extras": 0})
    found: dict[str, tuple[StoredRecord, str]] = {}
    for doc in docs:
        payload = json.loads(doc["payload"])
        if thumbnails.DETACHED in doc["payload"]:  # put back as pushed, as `get` does
            payload = thumbnails.attached(payload, thumbnails.from_mongo(images.find_one({"_id": doc["_id"]})))
        record = dataclasses.replace(summary(doc), payload=payload, rendered=doc.get("rendered") or {})
        found[doc["_id"]] = (record, doc.get("search") or "")
    return [found[key] for key in keys if key in found]
