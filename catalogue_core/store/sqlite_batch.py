"""SQLite: a batch of puts as one read of the stored rows and one statement per table, in the caller's transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from . import sqlite_rendered
from .base import distinct_runs, json_text
from .entries import Entry, WriteResult
from .sqlite_layout import COLUMNS
from .sqlite_multirow import insert
from .sqlite_rows import many
from .sqlite_sets import forget, note
from .thumbnails import sqlite_write_many

# Keys per `IN (...)` read: well under SQLite's bound on parameters, and each read stays small.
_READ = 500


# Each entry's JSON columns (sets, metadata, extras, payload), by id(entry): see record_texts.
Texts = dict[int, tuple[str, str, str, str]]


def record_texts(entries: Sequence[Entry]) -> Texts:
    """Return each entry's JSON columns, to write them before the transaction: the write lock is held for less."""
    return {
        id(entry): (
            json_text(list(entry.sets)),
            json_text(entry.metadata, entry.plain or None),
            json_text(entry.extras, entry.plain or None),
            json_text(entry.payload, entry.plain or None),
        )
        for entry in entries
    }


def put(
    db: sqlite3.Connection, entries: Sequence[Entry], stamp: Callable[[str | None], str], texts: Texts
) -> list[WriteResult]:
    """Upsert entries by key as one-by-one puts would, a run of distinct keys at a time; return their results.

    `texts` are the entries' JSON columns (record_texts), written before the caller's transaction began.
    """
    results: list[WriteResult] = []
    for run in distinct_runs(entries):
        results += _put_run(db, run, stamp, texts)
    return results


def _put_run(
    db: sqlite3.Connection, entries: Sequence[Entry], stamp: Callable[[str | None], str], texts: Texts
) -> list[WriteResult]:
    rows, sequences = _held(db, entries)
    results, claims, written = [], [], []
    for entry in entries:
        row = rows.get(entry.key)
        settled = _settled(entry, row, sequences)
        if (settled is None or settled.outcome == "unchanged") and entry.sequence is not None:
            claims.append((entry.key, entry.sequence))
        if settled is not None:
            results.append(settled)
            continue
        now = stamp(row["datestamp"] if row else None)
        written.append((entry, now, row["created"] if row else now))
        results.append(WriteResult(entry.key, "updated" if row else "created", now))
    many(db, "INSERT OR REPLACE INTO sequences VALUES (?, ?)", claims)
    _write(db, written, rows, texts)
    return results


def put_unchanged(db: sqlite3.Connection, entries: Sequence[Entry]) -> list[WriteResult | None]:
    """Answer entries of distinct keys a put would find unchanged or stale (unchanged ones' sequences recorded)."""
    rows, sequences = _held(db, entries)
    results = [_settled(entry, rows.get(entry.key), sequences) for entry in entries]
    claims = [
        (entry.key, entry.sequence)
        for entry, result in zip(entries, results, strict=True)
        if result is not None and result.outcome == "unchanged" and entry.sequence is not None
    ]
    many(db, "INSERT OR REPLACE INTO sequences VALUES (?, ?)", claims)
    return results


def held_hashes(db: sqlite3.Connection, keys: Sequence[str]) -> dict[str, str]:
    """Return the content hash of each live record among `keys`."""
    return {row["key"]: row["content_hash"] for row in rows_by_key(db, _LIVE_HASHES, keys) if not row["deleted"]}


_LIVE_HASHES = "SELECT key, content_hash, deleted FROM records"


def _held(db: sqlite3.Connection, entries: Sequence[Entry]) -> tuple[dict[str, sqlite3.Row], dict[str, int]]:
    """Return the stored rows of the entries' keys and the sequences recorded for the sequenced ones."""
    rows = _read(
        db, "SELECT key, id, datestamp, created, deleted, content_hash, sets FROM records", [e.key for e in entries]
    )
    sequenced = [entry.key for entry in entries if entry.sequence is not None]
    sequences = {row["key"]: row["seq"] for row in rows_by_key(db, "SELECT key, seq FROM sequences", sequenced)}
    return rows, sequences


def _settled(entry: Entry, row: sqlite3.Row | None, sequences: dict[str, int]) -> WriteResult | None:
    """Return a put's answer when it writes no record (stale, unchanged); None when it writes."""
    if entry.sequence is not None and sequences.get(entry.key, entry.sequence) > entry.sequence:
        return WriteResult(entry.key, "stale", row["datestamp"] if row else "")  # a later write was recorded
    if row and not row["deleted"] and row["content_hash"] == entry.content_hash:
        return WriteResult(entry.key, "unchanged", row["datestamp"])
    return None


def _write(
    db: sqlite3.Connection, written: list[tuple[Entry, str, str]], held: dict[str, sqlite3.Row], texts: Texts
) -> None:
    rowids = _insert_records(
        db, [_record_row(entry, now, created, texts[id(entry)]) for entry, now, created in written]
    )
    # A key without a records row has no rows in the tables below (no write drops a records row), so
    # a created record's DELETEs are skipped: ~65 us of a single put's ~1.4 ms of CPU (bench/store_write.py).
    # The old renderings go by the replaced row's rowid before any new one is written (a rowid may be reused).
    sqlite_rendered.delete(db, [held[entry.key]["id"] for entry, _, _ in written if entry.key in held])
    sqlite_rendered.write(db, [(rowids[entry.key], entry.rendered) for entry, _, _ in written])
    forget(db, [(entry.key, held[entry.key]) for entry, _, _ in written if entry.key in held])
    note(db, [(now, entry.key) for entry, now, _ in written])  # set rows behind the writes: sqlite_sets
    sqlite_write_many(db, [(e.key, e.thumbnail) for e, _, _ in written if e.key in held or e.thumbnail is not None])


_ROW = "(?,?,?,?,0,NULL,?,?,?,?,?,?,?)"  # 11 parameters a row: 128 rows a statement at most (sqlite_multirow)


def _insert_records(db: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> dict[str, int]:
    """Insert or replace records rows, many in one statement (the same rows, in order, as one each); return rowids."""
    # One statement for many rows, not executemany's one per row: each statement that fires the
    # triggers opens a savepoint, and FTS5 (3.40) writes its pending index to disk at every savepoint,
    # so one row a statement wrote one index segment a record (~30-50 us a record in a batch put).
    return dict(insert(db, f"INSERT OR REPLACE INTO records ({COLUMNS})", _ROW, rows, " RETURNING key, rowid"))


def _record_row(entry: Entry, now: str, created: str, texts: tuple[str, str, str, str]) -> tuple[Any, ...]:
    sets, metadata, extras, payload = texts
    return (
        entry.key,
        entry.doi,
        now,
        created,
        entry.content_hash,
        sets,
        entry.search,
        metadata,
        extras,
        payload,
        entry.status,
    )


def _read(db: sqlite3.Connection, select: str, keys: list[str]) -> dict[str, sqlite3.Row]:
    return {row["key"]: row for row in rows_by_key(db, select, keys)}


def rows_by_key(db: sqlite3.Connection, select: str, keys: Sequence[str]) -> Iterator[sqlite3.Row]:
    """Return the rows of `select` (no WHERE of its own) whose key is among `keys`, a bounded `IN (...)` at a time."""
    for start in range(0, len(keys), _READ):
        chunk = list(keys[start : start + _READ])
        yield from db.execute(f"{select} WHERE key IN ({', '.join('?' * len(chunk))})", chunk)
