"""MongoDB: a write that changes no record (stale, or content held already), answered before rendering."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, Protocol

from pymongo.collection import Collection

from ..thumbnail import Thumbnail
from .entries import Entry, WriteResult
from .mongo_order import Conflict, is_stale, later, until_settled

# What a put reads of the record it may replace.
FIELDS = {"datestamp": 1, "created": 1, "deleted": 1, "content_hash": 1, "seq": 1, "status": 1, "sets": 1}


class MongoRepository(Protocol):
    """What this module uses of mongo.MongoRepository (named so, not imported: that module imports this one)."""

    records: Collection[Any]
    sequences: Collection[Any]
    thumbnails: Collection[Any]

    def _held(self, key: str, old: dict[str, Any] | None) -> int | None: ...
    def _keep_thumbnail(self, key: str, image: Thumbnail | None) -> None: ...


def put_unchanged(repo: MongoRepository, entries: Sequence[Entry]) -> list[WriteResult | None]:
    """Answer entries of distinct keys whose content is held already as a put would; None for the rest."""
    keys = [entry.key for entry in entries]
    live = repo.records.find({"_id": {"$in": keys}, "deleted": False}, {"content_hash": 1})
    held = {doc["_id"]: doc["content_hash"] for doc in live}
    return [
        until_settled(partial(_step, repo, entry)) if held.get(entry.key) == entry.content_hash else None
        for entry in entries
    ]


def _step(repo: MongoRepository, entry: Entry) -> WriteResult | None:
    old = repo.records.find_one({"_id": entry.key}, FIELDS)
    return settled(repo, entry, old, repo._held(entry.key, old))


def settled(repo: MongoRepository, entry: Entry, old: dict[str, Any] | None, held: int | None) -> WriteResult | None:
    """Return a put's answer when it writes no record (stale; unchanged, its sequence recorded); None when it writes."""
    if is_stale(entry.sequence, held):
        return WriteResult(entry.key, "stale", old["datestamp"] if old else "")
    if old and not old["deleted"] and old["content_hash"] == entry.content_hash:
        set_seq(repo, old, later(entry.sequence, held))
        _heal_thumbnail(repo, entry)
        return WriteResult(entry.key, "unchanged", old["datestamp"])
    return None


def set_seq(repo: MongoRepository, old: dict[str, Any], seq: int | None) -> None:
    """Record a later sequence in a record held, guarded on what was read (Conflict when another write got in)."""
    if seq != old.get("seq"):
        guard = {"_id": old["_id"], "datestamp": old["datestamp"], "seq": old.get("seq")}
        if not repo.records.update_one(guard, {"$set": {"seq": seq}}).matched_count:
            raise Conflict(old["_id"])


def _heal_thumbnail(repo: MongoRepository, entry: Entry) -> None:
    # The image is written after its record: a push that failed between the two is resent and
    # found unchanged, so the resend writes the image the record describes if it is missing.
    if entry.thumbnail is not None:
        kept = repo.thumbnails.find_one({"_id": entry.key}, {"sha256": 1, "withdrawn": 1})
        if kept is None or kept.get("withdrawn") or kept["sha256"] != entry.thumbnail.sha256:
            repo._keep_thumbnail(entry.key, entry.thumbnail)
