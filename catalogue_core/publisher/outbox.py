"""The durable outbox: every push and withdrawal is written here first, then delivered in order."""

from __future__ import annotations

import contextlib
import fcntl
import json
import sqlite3
import threading
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .errors import OutboxUnwritable

# Delivered entries are kept this long (for `outbox status` and audits), then pruned.
KEEP_DELIVERED = 30 * 86400.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    doi TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('put', 'withdraw')),
    document TEXT,
    reason TEXT,
    content_hash TEXT,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'delivered', 'parked', 'superseded')),
    attempts INTEGER NOT NULL DEFAULT 0,
    http_status INTEGER,
    outcome TEXT,
    error TEXT,
    delivered_no INTEGER,
    queued_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    sequence INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, seq);
CREATE INDEX IF NOT EXISTS outbox_key ON outbox (key, seq);
-- Each delivery numbers on from max(delivered_no): without it, a scan of every entry kept (30 days of them).
CREATE INDEX IF NOT EXISTS outbox_delivered_no ON outbox (delivered_no);
-- What we last told the DMZ about each DOI: its content hash (NULL once withdrawn), and the
-- hash of the source document it came from, so an unchanged document is not normalised again.
CREATE TABLE IF NOT EXISTS sent (
    key TEXT PRIMARY KEY,
    doi TEXT NOT NULL,
    content_hash TEXT,
    source_hash TEXT
);
-- The last X-Dmzpub-Sequence handed out: sequences only grow, even when the clock goes back.
CREATE TABLE IF NOT EXISTS marks (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
# SQLite (3.40) checks `state IN (...)` by building a table of the four states for every row written: queueing
# (state 'pending', the default; `action` checked in Python against ACTIONS) and marking delivered (state
# 'delivered') write only valid states, so they skip the CHECKs. Callgrind, outbox alone: 232 K -> 167 K
# instructions a record.
ACTIONS = ("put", "withdraw")
# Outbox files from before sequences: entries queued then are sent without one.
_SEQUENCE_COLUMN = "ALTER TABLE outbox ADD COLUMN sequence INTEGER"


@dataclass(frozen=True)
class Intent:
    """One thing to tell the DMZ: publish a document (its JSON text), or withdraw a DOI."""

    action: str
    key: str
    doi: str
    body: str | None = None
    reason: str | None = None
    content_hash: str | None = None
    source_hash: str | None = None


@dataclass(frozen=True)
class Sent:
    """What was last sent for a DOI: content hash (None once withdrawn) and source document hash."""

    content_hash: str | None
    source_hash: str | None


@dataclass(frozen=True)
class Item:
    """One outbox entry as stored; `body` is the document's JSON text (puts only, until delivered)."""

    seq: int
    key: str
    doi: str
    action: str
    body: str | None
    reason: str | None
    content_hash: str | None
    state: str
    attempts: int
    http_status: int | None
    outcome: str | None
    error: str | None
    delivered_no: int | None
    queued_at: float
    sequence: int | None = None  # sent as X-Dmzpub-Sequence: the DMZ refuses a write older than the DOI's last


_COLUMNS = (
    "seq, key, doi, action, document AS body, reason, content_hash, state, attempts, http_status, outcome, error, "
    "delivered_no, queued_at, sequence"
)


_ITEM_FIELDS = tuple(f.name for f in fields(Item))


def _row_item(row: tuple[Any, ...]) -> Item:
    """Return the Item of a row of _COLUMNS (Item's fields, in order) as a plain tuple."""
    # Filled in directly: a frozen dataclass's __init__ sets each of its 15 fields through object.__setattr__
    # (~12 K of the ~173 K instructions a record costs the outbox, callgrind). Same fields, same Item.
    item = object.__new__(Item)
    item.__dict__.update(zip(_ITEM_FIELDS, row, strict=True))
    return item


def _item(row: sqlite3.Row) -> Item:
    return Item(**{name: row[name] for name in row.keys()})  # noqa: SIM118 (Row has keys(), no iteration by key)


class Outbox:
    """A SQLite file of pending, delivered and parked entries, plus what was last sent per DOI."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.row_factory = sqlite3.Row  # columns by name, never by position
        self._wal()
        # FULL: an entry acknowledged as queued survives a power cut, not only a crash.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        if "sequence" not in {row[1] for row in self._db.execute("PRAGMA table_info(outbox)")}:
            self._db.execute(_SEQUENCE_COLUMN)

    def _wal(self) -> None:
        """Switch the file to write-ahead logging, waiting for another process that is creating it."""
        # SQLite answers "locked" at once here instead of waiting its busy timeout.
        deadline = time.monotonic() + 30
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    @contextlib.contextmanager
    def _write(self, synced: bool = True, checked: bool = True) -> Iterator[sqlite3.Connection]:
        """Run a write transaction; `synced=False` commits without waiting for the disk (see `delivered`);
        `checked=False` skips the table's CHECK constraints (see ACTIONS)."""
        with self._lock:
            if not synced:
                self._db.execute("PRAGMA synchronous=NORMAL")
            if not checked:
                self._db.execute("PRAGMA ignore_check_constraints=ON")
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._rollback()
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                # A full disk or read-only folder: the transaction goes whole or not at all.
                self._rollback()
                raise OutboxUnwritable(self.path, str(exc)) from None
            finally:
                if not synced:
                    self._db.execute("PRAGMA synchronous=FULL")
                if not checked:
                    self._db.execute("PRAGMA ignore_check_constraints=OFF")

    def _rollback(self) -> None:
        # SQLite may already have rolled back on its own (an I/O error does that).
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    @contextlib.contextmanager
    def delivery_lock(self) -> Iterator[None]:
        """Hold the one delivery slot: two deliverers at once could reorder a DOI's entries."""
        with open(self.path.with_suffix(".lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # queueing ----------------------------------------------------------------------------------

    def enqueue(self, intents: Iterable[Intent]) -> list[int]:
        """Queue entries durably in one transaction and remember them as sent; return their seqs."""
        now = time.time()
        intents = list(intents)
        if any(it.action not in ACTIONS for it in intents):  # the CHECK on `action`, skipped below (see ACTIONS)
            raise OutboxUnwritable(self.path, "CHECK constraint failed: action IN ('put', 'withdraw')")
        with self._write(checked=False) as db:
            mark = db.execute("SELECT value FROM marks WHERE name = 'sequence'").fetchone()
            # Microseconds since the epoch: later than any sequence of an outbox file deleted before.
            number = max(time.time_ns() // 1000, (mark["value"] if mark else 0) + 1)
            if db.execute("SELECT 1 FROM outbox WHERE state = 'parked' LIMIT 1").fetchone() is not None:
                # A newer entry makes an older parked one moot: retrying it would go back in time.
                db.executemany(
                    "UPDATE outbox SET state = 'superseded' WHERE key = ? AND state = 'parked'",
                    [(it.key,) for it in intents],
                )
            # One executemany a page, not two statements a record.
            db.executemany(
                "INSERT INTO outbox (key, doi, action, document, reason, content_hash, queued_at, updated_at,"
                " sequence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (it.key, it.doi, it.action, it.body, it.reason, it.content_hash, now, now, number + i)
                    for i, it in enumerate(intents)
                ],
            )
            # AUTOINCREMENT under the write lock: one transaction's rows take consecutive seqs.
            last = db.execute("SELECT last_insert_rowid()").fetchone()[0]
            db.executemany(
                "INSERT OR REPLACE INTO sent VALUES (?, ?, ?, ?)",
                [
                    (it.key, it.doi, *((it.content_hash, it.source_hash) if it.action == "put" else (None, None)))
                    for it in intents
                ],
            )
            db.execute("INSERT OR REPLACE INTO marks VALUES ('sequence', ?)", (number + len(intents) - 1,))
        return list(range(last - len(intents) + 1, last + 1)) if intents else []

    def remember(self, rows: Iterable[tuple[str, str, str | None, str | None]]) -> None:
        """Record (key, doi, content hash, source hash) as what the DMZ holds, without queueing anything."""
        with self._write() as db:
            db.executemany("INSERT OR REPLACE INTO sent VALUES (?, ?, ?, ?)", list(rows))

    def last_sent(self, keys: Sequence[str]) -> dict[str, Sent]:
        """Return what was last sent for each given key that was ever sent."""
        out: dict[str, Sent] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._read(f"SELECT key, content_hash, source_hash FROM sent WHERE key IN ({marks})", chunk)
            out.update((row["key"], Sent(row["content_hash"], row["source_hash"])) for row in rows)
        return out

    def published(self) -> list[tuple[str, str]]:
        """Return (key, doi) of every DOI whose last sent entry was a publication."""
        rows = self._read("SELECT key, doi FROM sent WHERE content_hash IS NOT NULL ORDER BY key")
        return [(row["key"], row["doi"]) for row in rows]

    # delivery ------------------------------------------------------------------------------------

    def due(self, limit: int, skip: Collection[str] = ()) -> list[Item]:
        """Return up to `limit` pending entries, at most one per DOI: the oldest one of each; none of the DOIs
        in `skip` (those with an entry under way)."""
        seen: set[str] = set(skip)
        out: list[Item] = []
        with self._lock:
            # Stepped row by row, not fetched whole: the cap allows for repeated DOIs, which are rare, and
            # each row read carries a document. Plain tuples in Item's field order, not sqlite3.Row by name.
            cursor = self._db.cursor()
            cursor.row_factory = None
            # The DOIs under way are left out by SQLite: their rows (the oldest pending, read again at every call
            # while their batches are sent) were made into Python rows, documents and all, only to be skipped.
            sql = (
                f"SELECT {_COLUMNS} FROM outbox WHERE state = 'pending'"
                " AND key NOT IN (SELECT value FROM json_each(?)) ORDER BY seq LIMIT ?"
            )
            for row in cursor.execute(sql, (json.dumps(list(skip)), (limit + len(skip)) * 4)):
                # Rows come from the oldest pending entry on, so a key's first row is its oldest.
                if row[1] not in seen:
                    seen.add(row[1])
                    out.append(_row_item(row))
                    if len(out) == limit:
                        break
        return out

    def delivered(self, results: Sequence[tuple[Item, str, int]]) -> None:
        """Mark entries delivered with the DMZ's outcome and HTTP status, in the given order."""
        now = time.time()
        # Not synced: a sender waited ~20-30 ms a batch for the disk here (bench/sync.py, loaded machine), with
        # the other sender and the queueing behind it. A power cut loses at most the marks since the last synced
        # commit (WAL frames are synced in order; queueing syncs): those entries are sent again, which the DMZ
        # answers as unchanged or stale, as for any resend.
        with self._write(synced=False, checked=False) as db:  # only the state changes, to 'delivered'
            number = db.execute("SELECT coalesce(max(delivered_no), 0) AS n FROM outbox").fetchone()["n"]
            db.executemany(
                "UPDATE outbox SET state = 'delivered', outcome = ?, http_status = ?, attempts = attempts + 1,"
                " delivered_no = ?, document = NULL, updated_at = ? WHERE seq = ?",
                [(outcome, status, number + i, now, item.seq) for i, (item, outcome, status) in enumerate(results, 1)],
            )
            # Nearly always nothing is parked: one look through the state index spares an update per entry.
            if db.execute("SELECT 1 FROM outbox WHERE state = 'parked' LIMIT 1").fetchone():
                db.executemany(
                    "UPDATE outbox SET state = 'superseded' WHERE key = ? AND state = 'parked' AND seq < ?",
                    [(item.key, item.seq) for item, _, _ in results],
                )

    def failed(self, items: Sequence[Item], error: str) -> None:
        """Count a failed attempt on entries that stay pending."""
        with self._write() as db:
            db.executemany(
                "UPDATE outbox SET attempts = attempts + 1, error = ?, updated_at = ? WHERE seq = ?",
                [(error, time.time(), item.seq) for item in items],
            )

    def park(self, item: Item, status: int, error: str) -> None:
        """Set an entry aside with the DMZ's verdict: it is not retried until someone asks."""
        with self._write() as db:
            db.execute(
                "UPDATE outbox SET state = 'parked', http_status = ?, error = ?, attempts = attempts + 1,"
                " updated_at = ? WHERE seq = ?",
                (status, error, time.time(), item.seq),
            )

    def retry(self, doi_key: str | None = None) -> int:
        """Put parked entries (all, or one DOI's) back in line; return how many."""
        with self._write() as db:
            sql = "UPDATE outbox SET state = 'pending', updated_at = ? WHERE state = 'parked'"
            args: list[Any] = [time.time()]
            if doi_key:
                sql += " AND key = ?"
                args.append(doi_key)
            return db.execute(sql, args).rowcount

    def prune(self, older_than: float = KEEP_DELIVERED) -> int:
        """Delete delivered and superseded entries older than `older_than` seconds."""
        cutoff = time.time() - older_than
        with self._write() as db:
            return db.execute(
                "DELETE FROM outbox WHERE state IN ('delivered', 'superseded') AND updated_at < ?", (cutoff,)
            ).rowcount

    # reading -------------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Return how many entries are in each state."""
        counts = dict.fromkeys(("pending", "parked", "delivered", "superseded"), 0)
        counts.update(
            (row["state"], row["n"]) for row in self._read("SELECT state, count(*) AS n FROM outbox GROUP BY state")
        )
        return counts

    def entries(self, state: str | None = None, doi_key: str | None = None, limit: int = 1000) -> list[Item]:
        """Return entries in queue order, filtered by state and DOI."""
        sql, args = f"SELECT {_COLUMNS} FROM outbox WHERE 1 = 1", []
        if state:
            sql += " AND state = ?"
            args.append(state)
        if doi_key:
            sql += " AND key = ?"
            args.append(doi_key)
        return [_item(r) for r in self._read(sql + " ORDER BY seq LIMIT ?", [*args, limit])]
