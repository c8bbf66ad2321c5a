"""The embedded store: one SQLite file in WAL mode, safe across gunicorn workers."""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from ..errors import QueryTooCostly, StoreUnavailable
from ..thumbnail import Thumbnail
from . import (
    sqlite_batch,
    sqlite_counts,
    sqlite_ids,
    sqlite_listing,
    sqlite_page,
    sqlite_reindex,
    sqlite_rendered,
    sqlite_restore,
    sqlite_rows,
    sqlite_search,
    sqlite_sets,
    sqlite_watermark,
)
from .base import Repository, search_terms
from .entries import Entry, ListedRecord, ListQuery, PageRead, Rerendered, StoredRecord, StoreStats, WriteResult
from .sqlite_checkpoint import Checkpointer
from .sqlite_layout import INDEXES as _INDEXES
from .sqlite_layout import SCHEMA as _SCHEMA
from .sqlite_layout import STATUS_COLUMN as _STATUS_COLUMN
from .sqlite_rendered import ID_OF as _ID_OF
from .sqlite_turn import WriteTurn
from .thumbnails import SQLITE_SCHEMA as _THUMBNAILS
from .thumbnails import sqlite_read, sqlite_write

_SUMMARY = "r.key, r.doi, r.datestamp, r.created, r.deleted, r.content_hash, r.sets, r.reason"


@functools.lru_cache(maxsize=4096)
def _sets(text: str) -> tuple[str, ...]:
    # Records share a few set combinations; decoding each once keeps list pages cheap.
    return tuple(json.loads(text))


def _rendered(rows: list[sqlite3.Row]) -> dict[str, str]:
    return {row["prefix"]: row["xml"] for row in rows}


class SQLiteRepository(Repository):
    """Records in one SQLite file; one connection per thread, writes serialised by SQLite."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreUnavailable(f"cannot create the folder of the SQLite store {self.path}: {exc}") from exc
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._turn = WriteTurn(self.path)
        connect = lambda: sqlite3.connect(self.path, timeout=30, isolation_level=None)  # noqa: E731
        # In the background the turn is tried once a round, never waited for: a wait polls every 1 ms,
        # each poll taking the GIL from the worker's request thread (writes fold when notes pile up).
        self._checkpoints = Checkpointer(connect, before=lambda: self._catch_up_search(0.0))
        try:
            self._db().executescript(_SCHEMA + _THUMBNAILS)
            columns = {row[1] for row in self._db().execute("PRAGMA table_info(records)")}
            if "status" not in columns:
                self._db().executescript(_STATUS_COLUMN)
            self._db().executescript(_INDEXES)
            sqlite_rendered.install(self._db())
            sqlite_search.install(self._db())
            sqlite_counts.install(self._db())
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot create the SQLite store {self.path}: {exc}") from exc

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            try:
                db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
                db.row_factory = sqlite3.Row  # columns by name, never by position
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints run in a thread: see sqlite_checkpoint
                db.execute("PRAGMA busy_timeout=30000")
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"cannot open SQLite store {self.path}: {exc}") from exc
            self._local.db = db
            with self._all_lock:
                self._all.append(db)
        return db

    @contextmanager
    def _write(self, wait: float | None = None) -> Iterator[sqlite3.Connection]:
        """Run a write transaction (its datestamps taken inside it: see sqlite_watermark), in this store's turn."""
        db = self._db()
        with self._turn.held(wait):
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"SQLite store {self.path} is not writable: {exc}") from exc
            try:
                yield db
                self._bound_pending(db)
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                # Disk full, read-only file: nothing of this transaction was committed, so the answer
                # is "try again later" (503), never an unexpected error.
                self._rollback(db)
                raise StoreUnavailable(f"SQLite store {self.path} cannot write: {exc}") from exc
            except BaseException:
                self._rollback(db)
                raise
        self._checkpoints.committed()

    def _bound_pending(self, db: sqlite3.Connection) -> None:
        """Fold the search index's pending notes in this write when they are many (the background cannot get in)."""
        # Counting them walks them (~45 K instructions at 150): only every CHECK rows this connection changed.
        if db.total_changes >= getattr(self._local, "checked", 0):
            self._local.checked = db.total_changes + sqlite_search.CHECK
            sqlite_search.fold_if_many(db)
            sqlite_sets.fold_if_many(db)

    @staticmethod
    def _rollback(db: sqlite3.Connection) -> None:
        if db.in_transaction:
            db.execute("ROLLBACK")

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        try:
            return self._db().execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store {self.path} failed: {exc}") from exc

    @contextmanager
    def _budget(self, seconds: float) -> Iterator[None]:
        """Interrupt this thread's queries once they have run `seconds` (SQLite's progress handler)."""
        db = self._db()
        deadline = time.monotonic() + seconds
        db.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
        try:
            yield
        except StoreUnavailable as exc:
            if time.monotonic() > deadline and "interrupted" in str(exc):
                raise QueryTooCostly(f"the search ran longer than {seconds:g} s and was stopped") from exc
            raise
        finally:
            db.set_progress_handler(None, 0)

    # writes ---------------------------------------------------------------------------------

    # Writes register no marker: safe_now waits for the one running instead (one commit per write).
    # Markers in the table still hold back the watermark (a process of an earlier release, mid-upgrade).
    _marks_writes = False

    def _writes_settled(self) -> AbstractContextManager[None]:
        return sqlite_watermark.settled(self._db(), self.path)

    def _register_inflight(self, token: str, started: float) -> None:
        with self._write() as db:
            db.execute("INSERT INTO inflight VALUES (?, ?)", (token, started))

    def _clear_inflight(self, token: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM inflight WHERE token = ?", (token,))

    def _probe_write(self, orphans: Sequence[str]) -> None:
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('write_probe', ?)", (repr(time.time()),))
            db.executemany("DELETE FROM inflight WHERE token = ?", [(token,) for token in orphans])

    def _oldest_inflight(self, newer_than: float) -> float | None:
        return self._read("SELECT min(started) AS oldest FROM inflight WHERE started > ?", (newer_than,))[0]["oldest"]

    def _put(self, entries: Sequence[Entry]) -> list[WriteResult]:
        texts = sqlite_batch.record_texts(entries)  # before the write lock: ~15 us a record it is not held for
        with self._write() as db:
            return sqlite_batch.put(db, entries, self._stamp, texts)

    def _put_unchanged(self, entries: Sequence[Entry]) -> list[WriteResult | None]:
        try:  # a plain read first: a new or changed record (most writes) takes no write lock here
            held = sqlite_batch.held_hashes(self._db(), [entry.key for entry in entries])
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store {self.path} failed: {exc}") from exc
        if not any(held.get(entry.key) == entry.content_hash for entry in entries):
            return [None] * len(entries)
        with self._write() as db:
            return sqlite_batch.put_unchanged(db, entries)

    @staticmethod
    def _claim(db: sqlite3.Connection, key: str, sequence: int | None) -> bool:
        """Record the DOI's sequence; False when a later one was recorded (the write is stale)."""
        if sequence is None:
            return True
        row = db.execute("SELECT seq FROM sequences WHERE key = ?", (key,)).fetchone()
        if row and row["seq"] > sequence:
            return False
        db.execute("INSERT OR REPLACE INTO sequences VALUES (?, ?)", (key, sequence))
        return True

    def _withdraw(self, key: str, reason: str | None, sequence: int | None) -> WriteResult:
        with self._write() as db:
            row = db.execute("SELECT id, datestamp, deleted, sets FROM records WHERE key = ?", (key,)).fetchone()
            if not self._claim(db, key, sequence):
                return WriteResult(key, "stale", row["datestamp"] if row else "")
            if row is None:
                return WriteResult(key, "absent", "")
            if row["deleted"]:
                return WriteResult(key, "unchanged", row["datestamp"])
            stamp = self._stamp(row["datestamp"])
            db.execute(
                "UPDATE records SET deleted = 1, reason = ?, datestamp = ? WHERE key = ?",
                (reason, stamp, key),
            )
            sqlite_rendered.delete(db, [row["id"]])
            sqlite_write(db, key, None)
            sqlite_sets.write(db, key, stamp, row)
            return WriteResult(key, "withdrawn", stamp)

    def _update_rendered(
        self, key: str, rendered: dict[str, str], sets: tuple[str, ...], search: str | None
    ) -> WriteResult:
        with self._write() as db:
            return sqlite_rows.rerender(db, key, rendered, sets, search, self._stamp)

    def _update_rendered_many(self, items: Sequence[Rerendered]) -> list[WriteResult]:
        with self._write() as db:  # one commit for the lot: a reindex writes 100,000 records
            return [sqlite_rows.rerender(db, i.key, i.rendered, tuple(i.sets), i.search, self._stamp) for i in items]

    # reads ----------------------------------------------------------------------------------

    @staticmethod
    def _summary(row: sqlite3.Row) -> dict[str, Any]:
        return dict(
            key=row["key"],
            doi=row["doi"],
            datestamp=row["datestamp"],
            created=row["created"],
            deleted=bool(row["deleted"]),
            content_hash=row["content_hash"],
            sets=_sets(row["sets"]),
            reason=row["reason"],
        )

    def rendered_part(self, key: str, name: str) -> str | None:
        rows = self._read(
            f"SELECT x.xml FROM records r JOIN rendered x ON x.id = {_ID_OF} WHERE r.key = ?", (name, key)
        )
        return rows[0]["xml"] if rows else None

    def get(self, key: str, formats: Sequence[str] | None = None) -> StoredRecord | None:
        rows = self._read(
            f"SELECT {_SUMMARY}, r.metadata, r.extras, r.payload FROM records r WHERE key = ?",
            (key,),
        )
        if not rows:
            return None
        row = rows[0]
        rendered: dict[str, str] = {}
        if formats is None or formats:  # formats=() (reindex, amendments): the ~10 KB of XML is not read
            rendered = _rendered(self._read(f"{sqlite_rendered.OF_RECORDS} WHERE r.key = ? ORDER BY x.prefix", (key,)))
        if formats is not None:
            rendered = {p: x for p, x in rendered.items() if p in formats}
        return StoredRecord(
            **self._summary(row),
            metadata=json.loads(row["metadata"]),
            extras=json.loads(row["extras"]),
            payload=json.loads(row["payload"]),
            rendered=rendered,
        )

    def list_records(
        self,
        query: ListQuery,
        after: tuple[str, str] | None,
        limit: int,
        metadata_prefix: str | None = None,
    ) -> list[StoredRecord]:
        rows = self._read(*sqlite_listing.list_sql(_SUMMARY, query, after, limit, metadata_prefix))
        return [
            StoredRecord(
                **self._summary(row),
                rendered={metadata_prefix: row["xml"]} if metadata_prefix and row["xml"] is not None else {},
            )
            for row in rows
        ]

    def list_page(
        self, query: ListQuery, after: tuple[str, str] | None, limit: int, metadata_prefix: str
    ) -> list[ListedRecord]:
        columns = "r.key, r.datestamp, r.deleted, r.sets"
        sql, args = sqlite_listing.list_sql(columns, query, after, limit, metadata_prefix)
        try:
            cursor = self._db().cursor()
            cursor.row_factory = None  # plain tuples: sqlite3.Row and StoredRecord cost more than the query
            rows = cursor.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store {self.path} failed: {exc}") from exc
        return [ListedRecord(key, stamp, bool(gone), _sets(sets), xml) for key, stamp, gone, sets, xml, *_ in rows]

    def _scan_count(self, query: ListQuery) -> int:
        driver = "s" if query.set_spec is not None else "r"
        where, args = sqlite_listing.where(query, None, driver)
        if driver == "s":
            return self._read(*sqlite_sets.count_sql(where, args, query.statuses is not None))[0]["n"]
        return self._read(f"SELECT count(*) AS n FROM records r{where}", args)[0]["n"]

    def list_keys(self, after: str | None, limit: int) -> list[StoredRecord]:
        rows = self._read(
            f"SELECT {_SUMMARY} FROM records r WHERE key > ? ORDER BY key LIMIT ?",
            (after or "", limit),
        )
        return [StoredRecord(**self._summary(row)) for row in rows]

    def reindex_sources(self, keys: Sequence[str]) -> list[tuple[StoredRecord, str]]:
        return self._counted(sqlite_reindex.sources, keys, _SUMMARY, self._summary)

    def earliest_datestamp(self) -> str | None:
        return self._read("SELECT min(datestamp) AS earliest FROM records")[0]["earliest"]

    def set_specs(self) -> list[str]:
        return self._counted(sqlite_counts.set_specs)

    def _maintained_count(self, set_spec: str | None, statuses: tuple[str, ...] | None) -> int:
        return self._counted(sqlite_counts.maintained, set_spec, statuses)

    def generation(self) -> int:
        return self._counted(sqlite_counts.generation)

    def _counted(self, read: Any, *args: Any) -> Any:
        try:
            return read(self._db(), *args)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store {self.path} failed: {exc}") from exc

    def rebuild_counts(self) -> None:
        with self._write() as db:
            sqlite_counts.rebuild(db)

    def upgrade_layout(self) -> None:
        with self._write() as db:  # one transaction: an interrupted upgrade leaves the old layout whole
            sqlite_search.upgrade(db)
            sqlite_counts.upgrade(db)
            db.execute("DROP INDEX IF EXISTS record_sets_key")
            sqlite_sets.rebuild(db)  # the set rows deletes now find by primary key, from the records rows

    def defer_search_index(self) -> None:
        """Keep the search index behind the writes, caught up by searches (schema version 5: sqlite_search)."""
        with self._write() as db:
            sqlite_search.defer(db)

    def key_renderings_by_rowid(self) -> None:
        """Key the renderings by their records rows' rowids, with no index (schema version 7: sqlite_rendered)."""
        with self._write() as db:
            sqlite_rendered.upgrade(db)

    def key_records_by_id(self) -> None:
        """Give the records rows an id column, each its rowid (schema version 8: sqlite_ids)."""
        with self._write() as db:
            sqlite_ids.upgrade(db)

    def _catch_up_search(self, wait: float | None = None) -> None:
        """Fold the writes not yet in the search index into it (before a search, and in the background).

        The pending set rows (sqlite_sets) are folded with them: reads need not wait for those.
        """
        if self._counted(sqlite_search.pending) or self._counted(sqlite_sets.pending):
            with self._write(wait) as db:
                sqlite_search.fold(db)
                sqlite_sets.fold(db)

    def stats(self) -> StoreStats:
        row = self._read("SELECT count(*) AS n, total(deleted) AS withdrawn, max(datestamp) AS latest FROM records")[0]
        return StoreStats(row["n"] - int(row["withdrawn"]), int(row["withdrawn"]), row["latest"])

    def ping(self) -> None:
        self._read("SELECT 1")

    def close(self) -> None:
        self._checkpoints.close()
        self._turn.close()
        with self._all_lock:
            for db in self._all:
                db.close()
            self._all.clear()
        self._local = threading.local()

    def after_fork(self) -> None:
        # SQLite connections must not cross a fork: the parent's stay referenced (never closed here,
        # where closing could touch the parent's locks) and this process opens its own.
        self._inherited = self._all
        self._local, self._all, self._all_lock = threading.local(), [], threading.Lock()
        self._turn.after_fork()

    def browse(self, text: str | None, before: tuple[str, str] | None, limit: int) -> list[StoredRecord]:
        terms = search_terms(text)
        if terms:  # a search sees every write committed before it, outside its time budget
            self._catch_up_search()
        with self._budget(self.search_budget):
            return self._browse(terms, before, limit)

    def _browse(self, terms: list[list[str]], before: tuple[str, str] | None, limit: int) -> list[StoredRecord]:
        columns = f"{_SUMMARY}, r.metadata, r.extras"
        rows = self._read(*sqlite_search.browse_query(self._read, columns, terms, before, limit))
        return [
            StoredRecord(**self._summary(row), metadata=json.loads(row["metadata"]), extras=json.loads(row["extras"]))
            for row in rows
        ]

    def summary(self, key: str) -> StoredRecord | None:
        rows = self._read(f"SELECT {_SUMMARY} FROM records r WHERE key = ?", (key,))
        return StoredRecord(**self._summary(rows[0])) if rows else None

    def summary_with_part(self, key: str, name: str) -> StoredRecord | None:
        rows = self._read(
            f"SELECT {_SUMMARY}, p.xml FROM records r LEFT JOIN rendered p ON p.id = {_ID_OF} WHERE r.key = ?",
            (name, key),
        )
        if not rows:
            return None
        text = rows[0]["xml"]
        return StoredRecord(**self._summary(rows[0]), rendered={} if text is None else {name: text})

    def page_read(self, key: str, name: str) -> PageRead:
        return self._counted(sqlite_page.page_read, key, name, _SUMMARY, self._summary)

    def thumbnail(self, key: str) -> Thumbnail | None:
        return sqlite_read(self._read("SELECT media_type, sha256, data FROM thumbnails WHERE key = ?", (key,)))

    def save_thumbnail(self, key: str, image: Thumbnail | None) -> None:
        with self._write() as db:
            sqlite_write(db, key, image)

    # backup, restore and schema version -------------------------------------------------------

    def restore(self, records: Sequence[tuple[StoredRecord, str]]) -> None:
        """Write records verbatim (an import): nothing is re-stamped."""
        with self._write() as db:
            sqlite_restore.restore(db, records)

    def schema_version(self) -> int | None:
        """Return the stamped schema version, or None."""
        rows = self._read("SELECT value FROM meta WHERE name = 'schema_version'")
        return int(rows[0][0]) if rows else None

    def set_schema_version(self, version: int) -> None:
        """Stamp the schema version."""
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(version),))
