"""MongoDB: records per (status, set) and the write generation, updated with each record write."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import UpdateOne
from pymongo.database import Database

Record = Mapping[str, Any]  # a record document, or the (status, sets) part of one


def _contribution(doc: Record | None) -> Counter[tuple[str, str]]:
    """Return the (status, spec) counts a record adds: spec '' counts every record of its status."""
    if doc is None:
        return Counter()
    status = doc.get("status") or ""
    return Counter({(status, ""): 1, **{(status, spec): 1 for spec in set(doc.get("sets") or ())}})


class Counts:
    """The counts collection and the generation, updated right after each record write."""

    def __init__(self, db: Database) -> None:
        self.counts = db["record_counts"]
        self.meta = db["dmzpub_meta"]

    def apply(self, old: Record | None, new: Record | None) -> None:
        """Move the counts from the record's old (status, sets) to its new ones; bump the generation.

        Called right after the record's own single-document write, not in one transaction with it:
        MongoDB has none on a standalone server, and on a replica set every write would conflict on
        the shared counts documents. A process killed in between leaves a count off by one until
        the counts are rebuilt (Repository.rebuild_counts, which schema step 3 runs).
        """
        self.apply_many([(old, new)])

    def apply_many(self, changes: Iterable[tuple[Record | None, Record | None]]) -> None:
        """Apply many records' moves in one write to the counts (a batch's creates), as `apply` does one."""
        delta: Counter[tuple[str, str]] = Counter()
        for old, new in changes:
            delta.update(_contribution(new))
            delta.subtract(_contribution(old))
        ops = [
            UpdateOne({"_id": f"{status}\n{spec}"}, {"$inc": {"n": n}, "$set": {"status": status, "spec": spec}}, True)
            for (status, spec), n in delta.items()
            if n
        ]
        if ops:
            self.counts.bulk_write(ops)
        self.touch()

    def touch(self) -> None:
        """Bump the generation: a record changed in a way the counts do not see (a withdrawal)."""
        self.meta.update_one({"_id": "generation"}, {"$inc": {"value": 1}}, upsert=True)

    def maintained(self, spec: str | None, statuses: Iterable[str] | None) -> int:
        """Return how many records of these statuses (None: any) are in the set (None: any)."""
        flt: dict[str, Any] = {"spec": spec or ""}
        if statuses is not None:
            flt["status"] = {"$in": list(statuses)}
        return sum(doc["n"] for doc in self.counts.find(flt, {"n": 1}))

    def set_specs(self) -> list[str]:
        """Return every setSpec some record belongs to, sorted."""
        return sorted({doc["spec"] for doc in self.counts.find({"spec": {"$ne": ""}, "n": {"$gt": 0}}, {"spec": 1})})

    def generation(self) -> int:
        """Return the write generation."""
        doc = self.meta.find_one({"_id": "generation"})
        return int(doc["value"]) if doc else 0

    def rebuild(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Recount from the records' (status, sets), replacing the counts."""
        total: Counter[tuple[str, str]] = Counter()
        for doc in records:
            total.update(_contribution(doc))

        self.counts.delete_many({})
        docs = [{"_id": f"{s}\n{p}", "status": s, "spec": p, "n": n} for (s, p), n in total.items()]
        if docs:
            self.counts.insert_many(docs)
        self.touch()
