"""The production store: MongoDB (the DMZ Mongo of the SciCat architecture) through pymongo."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from pymongo import ASCENDING, DESCENDING, MongoClient
from pymongo.errors import DuplicateKeyError, ExecutionTimeout, PyMongoError

from ..errors import QueryTooCostly, RecordNotFound, StoreUnavailable
from ..page_parts import disseminated
from ..thumbnail import Thumbnail
from . import mongo_batch, mongo_reindex, mongo_unchanged, thumbnails
from .base import Repository, json_text, restored_status, restored_thumbnail, search_terms
from .entries import Entry, ListedRecord, ListQuery, StoredRecord, StoreStats, WriteResult
from .mongo_batch import record_document
from .mongo_counts import Counts
from .mongo_order import Conflict, is_stale, later, until_settled

_SUMMARY = {
    "doi": 1,
    "datestamp": 1,
    "created": 1,
    "deleted": 1,
    "content_hash": 1,
    "sets": 1,
    "reason": 1,
}


def _dumps(value: Any) -> str:
    # Documents are kept as JSON text: pushed payloads may hold keys ("$x", "a.b") that
    # MongoDB refuses as field names, and we never query inside them.
    return json_text(value)


class MongoRepository(Repository):
    """Records in one MongoDB database; indexes are created when the repository opens."""

    def __init__(self, uri: str, database: str | None = None, client: MongoClient | None = None) -> None:
        # Fail fast when MongoDB is down (a 503, not a hung worker), unless the URI says otherwise.
        options: dict[str, Any] = (
            {} if "serverselectiontimeoutms" in uri.lower() else {"serverSelectionTimeoutMS": 5000}
        )
        self._reopen = lambda: MongoClient(uri, tz_aware=True, **options)
        self.client = client or self._reopen()
        try:
            self._bind(database)
            self.records.create_index([("datestamp", ASCENDING), ("_id", ASCENDING)], name="datestamp_key")
            self.records.create_index(
                [("sets", ASCENDING), ("datestamp", ASCENDING), ("_id", ASCENDING)],
                name="set_datestamp_key",
            )
            self.inflight.create_index([("started", ASCENDING)], name="started")
            self._create_browse_index()
            self._fill_statuses()
        except PyMongoError as exc:
            if client is None:
                self.client.close()
            raise StoreUnavailable(f"MongoDB at {uri} does not answer: {exc}") from exc

    def _bind(self, database: str | None) -> None:
        db = self.client[database] if database else self.client.get_default_database("dmzpub")
        self._database = database
        self.records = db["published_records"]
        self.inflight = db["inflight_writes"]
        self.meta = db["dmzpub_meta"]
        self.sequences = db["doi_sequences"]  # the publisher's last X-Dmzpub-Sequence per DOI
        self.thumbnails = db["thumbnails"]  # decoded at write, apart from the records
        self.counts = Counts(db)  # records per (status, set) and the write generation

    def after_fork(self) -> None:
        # A MongoClient is not fork-safe (pymongo warns when a forked child uses its parent's):
        # the child gets a client of its own; the parent's is left alone, never closed here.
        self.client = self._reopen()
        self._bind(self._database)

    def _fill_statuses(self) -> None:
        """Give records written before they carried their SciCat status the one in their extras."""
        for doc in self.records.find({"status": {"$exists": False}}, {"extras": 1}):
            status = json.loads(doc["extras"]).get("status") or "public"
            self.records.update_one({"_id": doc["_id"], "status": {"$exists": False}}, {"$set": {"status": status}})

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DuplicateKeyError:
            raise
        except ExecutionTimeout as exc:
            raise QueryTooCostly(f"the query ran past its time budget and was stopped: {exc}") from exc
        except PyMongoError as exc:
            raise StoreUnavailable(f"MongoDB failed: {exc}") from exc

    # writes ---------------------------------------------------------------------------------

    def _register_inflight(self, token: str, started: float) -> None:
        self._call(self.inflight.insert_one, {"_id": token, "started": started})

    def _clear_inflight(self, token: str) -> None:
        self._call(self.inflight.delete_one, {"_id": token})

    def _probe_write(self, orphans: Sequence[str]) -> None:
        self._call(self.meta.replace_one, {"_id": "write_probe"}, {"value": time.time()}, upsert=True)
        if orphans:
            self._call(self.inflight.delete_many, {"_id": {"$in": list(orphans)}})

    def _oldest_inflight(self, newer_than: float) -> float | None:
        doc = self._call(self.inflight.find_one, {"started": {"$gt": newer_than}}, sort=[("started", ASCENDING)])
        return doc["started"] if doc else None

    def _put(self, entries: Sequence[Entry]) -> list[WriteResult]:
        return mongo_batch.put(self, entries)

    def _put_unchanged(self, entries: Sequence[Entry]) -> list[WriteResult | None]:
        return list(self._call(mongo_unchanged.put_unchanged, self, entries))

    def _held(self, key: str, old: dict[str, Any] | None) -> int | None:
        """Return the DOI's last sequence: the record's own, or one claimed while it was not held."""
        claim = self.sequences.find_one({"_id": key})
        return later(old.get("seq") if old else None, claim["seq"] if claim else None)

    def _put_step(self, entry: Entry) -> Callable[[], WriteResult]:
        # The sequence travels in the record document: claim and write are one single-document
        # update, atomic on any MongoDB (standalone included), so a crash cannot split them.
        def step() -> WriteResult:
            old = self.records.find_one({"_id": entry.key}, mongo_unchanged.FIELDS)
            held = self._held(entry.key, old)
            answer = mongo_unchanged.settled(self, entry, old, held)
            if answer is not None:
                return answer
            seq = later(entry.sequence, held)
            stamp = self._stamp(old["datestamp"] if old else None)
            doc = record_document(entry, stamp, old["created"] if old else stamp, seq)
            if old is None:
                self.records.insert_one(doc)  # a concurrent create: DuplicateKeyError, then again
                self.counts.apply(None, doc)
                self._keep_thumbnail(entry.key, entry.thumbnail)
                return self._after_create(doc)
            # Optimistic: replace only the version (and sequence) we read, so a concurrent write is not lost.
            guard = {
                "_id": entry.key,
                "datestamp": old["datestamp"],
                "content_hash": old["content_hash"],
                "seq": old.get("seq"),
            }
            if not self.records.replace_one(guard, doc).matched_count:
                raise Conflict(entry.key)
            self.counts.apply(old, doc)
            self._keep_thumbnail(entry.key, entry.thumbnail)
            return WriteResult(entry.key, "updated", stamp)

        return step

    def _after_create(self, doc: dict[str, Any]) -> WriteResult:
        """Yield to a later withdrawal claimed while the DOI was not yet held (it may have missed this record)."""
        claim = self.sequences.find_one({"_id": doc["_id"]})
        if claim is None or not is_stale(doc["seq"], claim["seq"]):
            return WriteResult(doc["_id"], "created", doc["datestamp"])
        tombstone = {"deleted": True, "datestamp": doc["datestamp"], "rendered": {}, "seq": claim["seq"]}
        self.records.update_one({"_id": doc["_id"], "seq": doc["seq"]}, {"$set": tombstone})
        self.counts.touch()
        self._withdraw_thumbnail(doc["_id"])
        return WriteResult(doc["_id"], "stale", doc["datestamp"])

    def _set_seq(self, old: dict[str, Any], seq: int | None) -> None:
        mongo_unchanged.set_seq(self, old, seq)

    def _withdraw(self, key: str, reason: str | None, sequence: int | None) -> WriteResult:
        def step() -> WriteResult:
            old = self.records.find_one({"_id": key}, {"datestamp": 1, "deleted": 1, "seq": 1})
            held = self._held(key, old)
            if is_stale(sequence, held):
                return WriteResult(key, "stale", old["datestamp"] if old else "")
            if old is None:
                return self._claim_absent(key, sequence)
            seq = later(sequence, held)
            if old["deleted"]:
                self._set_seq(old, seq)
                return WriteResult(key, "unchanged", old["datestamp"])
            stamp = self._stamp(old["datestamp"])
            fields: dict[str, Any] = {"deleted": True, "reason": reason, "datestamp": stamp, "rendered": {}, "seq": seq}
            guard = {"_id": key, "datestamp": old["datestamp"], "deleted": False, "seq": old.get("seq")}
            if not self.records.update_one(guard, {"$set": fields}).matched_count:
                raise Conflict(key)
            self.counts.touch()
            self._withdraw_thumbnail(key)
            return WriteResult(key, "withdrawn", stamp)

        return self._call(until_settled, step)

    def _claim_absent(self, key: str, sequence: int | None) -> WriteResult:
        """Record the sequence of a withdrawal of a DOI not held, so an older PUT arriving later is stale."""
        if sequence is not None:
            # A later claim does not match, so the upsert's insert collides on the key: run again, stale.
            self.sequences.update_one({"_id": key, "seq": {"$lte": sequence}}, {"$set": {"seq": sequence}}, upsert=True)
            if self.records.find_one({"_id": key}, {"_id": 1}) is not None:
                raise Conflict(key)  # created meanwhile: withdraw that record instead
        return WriteResult(key, "absent", "")

    def _keep_thumbnail(self, key: str, image: Thumbnail | None) -> None:
        # Right after the record, by the same writer; the route serves only live records' thumbnails.
        if image is None:
            self.thumbnails.delete_one({"_id": key})
        else:
            self.thumbnails.replace_one({"_id": key}, thumbnails.mongo_doc(key, image), upsert=True)

    def _withdraw_thumbnail(self, key: str) -> None:
        # Kept, not served: the tombstone's stored payload holds the marker that stands for it.
        self.thumbnails.update_one({"_id": key}, {"$set": {"withdrawn": True}})

    def thumbnail(self, key: str) -> Thumbnail | None:
        doc = self._call(self.thumbnails.find_one, {"_id": key, "withdrawn": {"$ne": True}})
        return thumbnails.from_mongo(doc)

    def save_thumbnail(self, key: str, image: Thumbnail | None) -> None:
        self._call(self._keep_thumbnail, key, image)

    def _update_rendered(
        self, key: str, rendered: dict[str, str], sets: tuple[str, ...], search: str | None
    ) -> WriteResult:
        if search is not None:
            self._call(self.records.update_one, {"_id": key}, {"$set": {"search": search}})
        while True:
            old = self._call(
                self.records.find_one,
                {"_id": key},
                {"datestamp": 1, "deleted": 1, "rendered": 1, "sets": 1, "status": 1},
            )
            if old is None:
                raise RecordNotFound(key)
            if old["deleted"]:
                return WriteResult(key, "unchanged", old["datestamp"])
            before = old.get("rendered") or {}
            if disseminated(before) == disseminated(rendered) and tuple(old["sets"]) == sets:
                # Only the page parts changed (or nothing): harvesters see nothing new.
                guard = {"_id": key, "datestamp": old["datestamp"]}
                if (
                    before == rendered
                    or self._call(self.records.update_one, guard, {"$set": {"rendered": rendered}}).matched_count
                ):
                    return WriteResult(key, "unchanged", old["datestamp"])
                continue
            stamp = self._stamp(old["datestamp"])
            update = {"$set": {"rendered": rendered, "sets": list(sets), "datestamp": stamp}}
            if self._call(self.records.update_one, {"_id": key, "datestamp": old["datestamp"]}, update).matched_count:
                self._call(self.counts.apply, old, {"status": old.get("status"), "sets": sets})
                return WriteResult(key, "updated", stamp)

    # reads ----------------------------------------------------------------------------------

    @staticmethod
    def _record(doc: dict[str, Any], full: bool = False, prefix: str | None = None) -> StoredRecord:
        parts: dict[str, Any] = {}
        if full:
            parts = {
                "metadata": json.loads(doc["metadata"]),
                "extras": json.loads(doc["extras"]),
                "payload": json.loads(doc["payload"]),
                "rendered": doc.get("rendered") or {},
            }
        elif prefix:
            xml = (doc.get("rendered") or {}).get(prefix)
            parts = {"rendered": {prefix: xml} if xml is not None else {}}
        return StoredRecord(
            key=doc["_id"],
            doi=doc["doi"],
            datestamp=doc["datestamp"],
            created=doc["created"],
            deleted=doc["deleted"],
            content_hash=doc["content_hash"],
            sets=tuple(doc["sets"]),
            reason=doc.get("reason"),
            **parts,
        )

    def rendered_part(self, key: str, name: str) -> str | None:
        doc = self._call(self.records.find_one, {"_id": key}, {f"rendered.{name}": 1})
        text = (doc or {}).get("rendered", {}).get(name)
        return text if isinstance(text, str) else None

    def get(self, key: str, formats: Sequence[str] | None = None) -> StoredRecord | None:
        doc = self._call(self.records.find_one, {"_id": key})
        if doc is None:
            return None
        if formats is not None:
            doc["rendered"] = {p: x for p, x in (doc.get("rendered") or {}).items() if p in formats}
        record = self._record(doc, full=True)
        if thumbnails.DETACHED in doc["payload"]:  # put back as pushed, tombstones included
            image = thumbnails.from_mongo(self._call(self.thumbnails.find_one, {"_id": key}))
            record = dataclasses.replace(record, payload=thumbnails.attached(record.payload, image))
        return record

    @staticmethod
    def _filter(query: ListQuery, after: tuple[str, str] | None) -> dict[str, Any]:
        clauses: list[dict[str, Any]] = []
        if query.set_spec is not None:
            clauses.append({"sets": query.set_spec})
        if query.statuses is not None:
            clauses.append({"status": {"$in": list(query.statuses)}})
        stamp: dict[str, str] = {}
        # The position's datestamp is also a plain lower bound, so the index scan starts at
        # the page (not at the start of the list) even when the planner keeps the $or below
        # as a filter: a page then costs the same at any depth.
        lower = max(query.from_ or "", after[0] if after else "")
        if lower:
            stamp["$gte"] = lower
        if query.until:
            stamp["$lte"] = query.until
        if stamp:
            clauses.append({"datestamp": stamp})
        if after:
            clauses.append(
                {
                    "$or": [
                        {"datestamp": {"$gt": after[0]}},
                        {"datestamp": after[0], "_id": {"$gt": after[1]}},
                    ]
                }
            )
        return {"$and": clauses} if clauses else {}

    def _listing(
        self, query: ListQuery, after: tuple[str, str] | None, limit: int, projection: dict[str, int]
    ) -> list[dict[str, Any]]:
        hint = "set_datestamp_key" if query.set_spec is not None else "datestamp_key"
        cursor = (
            self.records.find(self._filter(query, after), projection)
            .sort([("datestamp", ASCENDING), ("_id", ASCENDING)])
            .limit(limit)
            .hint(hint)
        )
        docs: list[dict[str, Any]] = self._call(list, cursor)
        return docs

    def list_records(
        self,
        query: ListQuery,
        after: tuple[str, str] | None,
        limit: int,
        metadata_prefix: str | None = None,
    ) -> list[StoredRecord]:
        projection = dict(_SUMMARY)
        if metadata_prefix:
            projection[f"rendered.{metadata_prefix}"] = 1
        return [self._record(doc, prefix=metadata_prefix) for doc in self._listing(query, after, limit, projection)]

    def list_page(
        self, query: ListQuery, after: tuple[str, str] | None, limit: int, metadata_prefix: str
    ) -> list[ListedRecord]:
        # Only what a header and its document need, straight into tuples (no StoredRecord).
        projection = {"datestamp": 1, "deleted": 1, "sets": 1, f"rendered.{metadata_prefix}": 1}
        return [
            ListedRecord(
                d["_id"], d["datestamp"], d["deleted"], tuple(d["sets"]), (d.get("rendered") or {}).get(metadata_prefix)
            )
            for d in self._listing(query, after, limit, projection)
        ]

    def _scan_count(self, query: ListQuery) -> int:
        return self._call(self.records.count_documents, self._filter(query, None))

    def _maintained_count(self, set_spec: str | None, statuses: tuple[str, ...] | None) -> int:
        return self._call(self.counts.maintained, set_spec, statuses)

    def generation(self) -> int:
        return self._call(self.counts.generation)

    def rebuild_counts(self) -> None:
        self._call(self.counts.rebuild, self.records.find({}, {"status": 1, "sets": 1}))

    def upgrade_layout(self) -> None:
        pass  # version 4 changed SQLite's layout only

    def list_keys(self, after: str | None, limit: int) -> list[StoredRecord]:
        flt = {"_id": {"$gt": after}} if after else {}
        cursor = self.records.find(flt, _SUMMARY).sort("_id", ASCENDING).limit(limit)
        return [self._record(doc) for doc in self._call(list, cursor)]

    def reindex_sources(self, keys: Sequence[str]) -> list[tuple[StoredRecord, str]]:
        return self._call(mongo_reindex.sources, self.records, self.thumbnails, keys, self._record)

    def earliest_datestamp(self) -> str | None:
        doc = self._call(self.records.find_one, {}, {"datestamp": 1}, sort=[("datestamp", ASCENDING)])
        return doc["datestamp"] if doc else None

    def set_specs(self) -> list[str]:
        return self._call(self.counts.set_specs)

    def stats(self) -> StoreStats:
        withdrawn = self._call(self.records.count_documents, {"deleted": True})
        published = self._call(self.records.count_documents, {"deleted": False})
        newest = self._call(self.records.find_one, {}, {"datestamp": 1}, sort=[("datestamp", DESCENDING)])
        return StoreStats(published, withdrawn, newest["datestamp"] if newest else None)

    def ping(self) -> None:
        self._call(self.client.admin.command, "ping")

    def close(self) -> None:
        self.client.close()

    def _create_browse_index(self) -> None:
        # `search` in the index lets MongoDB test the word patterns on index keys, fetching
        # only the documents of the page.
        self.records.create_index(
            [("deleted", ASCENDING), ("created", DESCENDING), ("_id", DESCENDING), ("search", ASCENDING)],
            name="live_created_search",
        )

    def browse(self, text: str | None, before: tuple[str, str] | None, limit: int) -> list[StoredRecord]:
        clauses: list[dict[str, Any]] = [{"deleted": False}]
        if before:
            # The plain upper bound on `created` lets the index scan start at the page.
            clauses.append({"created": {"$lte": before[0]}})
            clauses.append(
                {"$or": [{"created": {"$lt": before[0]}}, {"created": before[0], "_id": {"$lt": before[1]}}]}
            )
        for words in search_terms(text):
            # Same match as the SQLite full-text query: at a word start, words in sequence.
            clauses.append({"search": {"$regex": "(?:^|[\\W_])" + "[\\W_]+".join(words)}})
        cursor = (
            self.records.find({"$and": clauses}, {"payload": 0, "rendered": 0, "search": 0})
            .sort([("created", DESCENDING), ("_id", DESCENDING)])
            .limit(limit)
            .hint("live_created_search")
            # At least 1 ms: maxTimeMS 0 is "no limit" to MongoDB.
            .max_time_ms(max(1, round(self.search_budget * 1000)))
        )
        return [
            dataclasses.replace(
                self._record(doc), metadata=json.loads(doc["metadata"]), extras=json.loads(doc["extras"])
            )
            for doc in self._call(list, cursor)
        ]

    def summary(self, key: str) -> StoredRecord | None:
        doc = self._call(self.records.find_one, {"_id": key}, _SUMMARY)
        return self._record(doc) if doc else None

    def summary_with_part(self, key: str, name: str) -> StoredRecord | None:
        doc = self._call(self.records.find_one, {"_id": key}, {**_SUMMARY, f"rendered.{name}": 1})
        return self._record(doc, prefix=name) if doc else None

    # backup, restore and schema version -------------------------------------------------------

    def restore(self, records: Sequence[tuple[StoredRecord, str]]) -> None:
        """Write records verbatim (an import): nothing is re-stamped."""
        for record, search in records:
            image = restored_thumbnail(record)
            doc = {
                "_id": record.key,
                "doi": record.doi,
                "datestamp": record.datestamp,
                "created": record.created,
                "deleted": record.deleted,
                "reason": record.reason,
                "content_hash": record.content_hash,
                "sets": list(record.sets),
                "search": search,
                "metadata": _dumps(record.metadata),
                "extras": _dumps(record.extras),
                "payload": _dumps(thumbnails.detached(record.payload) if image else record.payload),
                "rendered": record.rendered,
                "status": restored_status(record),
            }
            self._call(self._replace, doc)
            self.save_thumbnail(record.key, image)

    def _replace(self, doc: dict[str, Any]) -> None:
        old = self.records.find_one({"_id": doc["_id"]}, {"status": 1, "sets": 1})
        self.records.replace_one({"_id": doc["_id"]}, doc, upsert=True)
        self.counts.apply(old, doc)

    def schema_version(self) -> int | None:
        """Return the stamped schema version, or None."""
        doc = self._call(self.meta.find_one, {"_id": "schema_version"})
        return int(doc["value"]) if doc else None

    def set_schema_version(self, version: int) -> None:
        """Stamp the schema version."""
        self._call(self.meta.replace_one, {"_id": "schema_version"}, {"value": version}, upsert=True)
