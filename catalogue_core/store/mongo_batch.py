"""MongoDB: a batch's records not held yet are inserted in one insert_many; every other one as a single put is."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from pymongo import DeleteOne, ReplaceOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError, PyMongoError

from ..errors import StoreUnavailable
from . import thumbnails
from .base import distinct_runs, json_text
from .entries import Entry, WriteResult
from .mongo_counts import Counts
from .mongo_order import until_settled


class MongoRepository(Protocol):
    """What a batch uses of mongo.MongoRepository (named so, not imported: that module imports this one)."""

    records: Collection[Any]
    sequences: Collection[Any]
    thumbnails: Collection[Any]
    counts: Counts

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any: ...
    def _stamp(self, previous: str | None = None) -> str: ...
    def _put_step(self, entry: Entry) -> Callable[[], WriteResult]: ...
    def _after_create(self, doc: dict[str, Any]) -> WriteResult: ...


# MongoDB's error code for a duplicate key: the record was created by a concurrent write meanwhile.
_DUPLICATE = 11000


def record_document(entry: Entry, stamp: str, created: str, seq: int | None) -> dict[str, Any]:
    """Return the record's document as the store keeps it."""
    # Documents are kept as JSON text: pushed payloads may hold keys ("$x", "a.b") that MongoDB
    # refuses as field names, and we never query inside them.
    return {
        "_id": entry.key,
        "doi": entry.doi,
        "datestamp": stamp,
        "created": created,
        "deleted": False,
        "reason": None,
        "content_hash": entry.content_hash,
        "sets": list(entry.sets),
        "search": entry.search,
        "metadata": json_text(entry.metadata, entry.plain or None),
        "extras": json_text(entry.extras, entry.plain or None),
        # The marker that replaces a thumbnail is a string: a plain payload stays plain.
        "payload": json_text(
            thumbnails.detached(entry.payload) if entry.thumbnail else entry.payload, entry.plain or None
        ),
        "rendered": entry.rendered,
        "status": entry.status,
        "seq": seq,
    }


def put(repo: MongoRepository, entries: Sequence[Entry]) -> list[WriteResult]:
    """Upsert entries by key as one-by-one puts would, a run of distinct keys at a time; return their results."""
    results: list[WriteResult] = []
    for run in distinct_runs(entries):
        results += repo._call(_put_run, repo, run)
    return results


def _put_run(repo: MongoRepository, run: Sequence[Entry]) -> list[WriteResult]:
    if len(run) == 1:  # a single PUT: the reads below would only add two round trips
        return [until_settled(repo._put_step(run[0]))]
    keys = [entry.key for entry in run]
    # A held record, or a sequence recorded for the DOI (a withdrawal before it was held), needs the
    # single put's reads and checks; the rest are plain creates.
    busy = {doc["_id"] for doc in repo.records.find({"_id": {"$in": keys}}, {"_id": 1})}
    busy |= {doc["_id"] for doc in repo.sequences.find({"_id": {"$in": keys}}, {"_id": 1})}
    docs = [record_document(e, stamp, stamp, e.sequence) for e in run if e.key not in busy for stamp in [repo._stamp()]]
    created = _created(repo, docs, {entry.key: entry for entry in run})
    return [created.get(entry.key) or until_settled(repo._put_step(entry)) for entry in run]


def _created(repo: MongoRepository, docs: list[dict[str, Any]], entries: dict[str, Entry]) -> dict[str, WriteResult]:
    """Insert the documents; return the results of those inserted (a concurrent create's key is left out)."""
    if not docs:
        return {}
    failed: set[str] = set()
    error: PyMongoError | None = None
    try:
        repo.records.insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        failed = {docs[e["index"]]["_id"] for e in errors}
        if any(e.get("code") != _DUPLICATE for e in errors) or exc.details.get("writeConcernErrors"):
            error = exc
    inserted = [doc for doc in docs if doc["_id"] not in failed]
    repo.counts.apply_many((None, doc) for doc in inserted)
    images = [(doc["_id"], entries[doc["_id"]].thumbnail) for doc in inserted]
    ops = [
        DeleteOne({"_id": k}) if i is None else ReplaceOne({"_id": k}, thumbnails.mongo_doc(k, i), True)
        for k, i in images
    ]
    if ops:
        repo.thumbnails.bulk_write(ops, ordered=False)
    if error is not None:  # the records inserted are counted; the others were not written
        raise StoreUnavailable(f"MongoDB failed: {error}")
    # A withdrawal may have claimed a DOI between the read above and the insert: the single path's check.
    claimed = {doc["_id"] for doc in repo.sequences.find({"_id": {"$in": [d["_id"] for d in inserted]}}, {"_id": 1})}
    return {
        doc["_id"]: repo._after_create(doc)
        if doc["_id"] in claimed
        else WriteResult(doc["_id"], "created", doc["datestamp"])
        for doc in inserted
    }
