"""SQLite: set rows behind the writes; a write notes one pending row, folded into `record_sets` later, many at once.

`record_sets` is keyed (spec, datestamp, key): a record's rows land on one leaf page per set (6 for a dataset
of one year and type), ~8.9 of a single put's ~31.5 WAL pages. A write instead notes its record in
`sets_pending`, keyed (datestamp, key) like the newest writes, so on one page; fold() (with the search
index's: before searches, in the background, in a write once MANY are pending) writes a batch's set rows
with a page per set for the lot. A harvest by set reads both tables in one statement (list_sql), so it
never misses a committed record. Invariant: a pending row (d, k) means records row k has datestamp d and
its sets have no rows in `record_sets` yet.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from .sqlite_multirow import insert

# By primary key: a record's set rows are (spec, datestamp, key) for its records row's sets and datestamp,
# as every write stamps both alike. An index on key (to delete `WHERE key = ?`) cost ~3 WAL pages a put.
DELETE_SETS = "DELETE FROM record_sets WHERE spec = ? AND datestamp = ? AND key = ?"
DELETE_PENDING = "DELETE FROM sets_pending WHERE datestamp = ? AND key = ?"
_FOLD = (
    # OR IGNORE: a row equal in every column is the same membership (a record's sets are distinct).
    # Joined on (datestamp, key), the invariant's, pending rows first: the sets come from the covering
    # records_harvest index, never the ~6 kB records row (by key: a second b-tree descent, into the row's page).
    "INSERT OR IGNORE INTO record_sets SELECT j.value, p.datestamp, p.key FROM sets_pending p"
    " CROSS JOIN records r ON r.datestamp = p.datestamp AND r.key = p.key, json_each(r.sets) j",
    "DELETE FROM sets_pending",
)
# Pending rows a write transaction folds itself when the background cannot get in (as sqlite_search.MANY).
MANY = 500


def old_sets(key: str, held: sqlite3.Row) -> list[tuple[str, str, str]]:
    """Return the primary keys of the set rows of a records row (its `sets` and `datestamp` columns)."""
    return [(spec, held["datestamp"], key) for spec in json.loads(held["sets"])]


def write(db: sqlite3.Connection, key: str, stamp: str, held: sqlite3.Row | None = None) -> None:
    """Make a record's set rows those of its records row at `stamp`; `held`: that row before this write (None: none)."""
    if held is not None:
        forget(db, [(key, held)])
    note(db, [(stamp, key)])


def note(db: sqlite3.Connection, rows: Sequence[tuple[str, str]]) -> None:
    """Note records as pending, (datestamp, key) each, in one statement per ROWS of them (sqlite_multirow)."""
    insert(db, "INSERT OR IGNORE INTO sets_pending", "(?,?)", rows)


def forget(db: sqlite3.Connection, held: Sequence[tuple[str, sqlite3.Row]]) -> None:
    """Delete the set rows (folded or pending) of records rows before a write; `held`: (key, row before it)."""
    if held:
        db.executemany(DELETE_SETS, [pk for key, row in held for pk in old_sets(key, row)])
        db.executemany(DELETE_PENDING, [(row["datestamp"], key) for key, row in held])


def pending(db: sqlite3.Connection) -> bool:
    """Tell whether some record's set rows are not folded into `record_sets` yet."""
    return db.execute("SELECT EXISTS (SELECT 1 FROM sets_pending)").fetchone()[0] == 1


def fold(db: sqlite3.Connection) -> None:
    """Write every pending record's set rows, in the caller's write transaction."""
    for statement in _FOLD:
        db.execute(statement)


def fold_if_many(db: sqlite3.Connection) -> None:
    """Fold in the caller's write transaction when MANY or more rows are pending."""
    if db.execute("SELECT count(*) >= ? FROM (SELECT 1 FROM sets_pending LIMIT ?)", (MANY, MANY)).fetchone()[0]:
        fold(db)


def rebuild(db: sqlite3.Connection) -> None:
    """Rewrite every set row from the records rows, in the caller's transaction (schema step 4)."""
    db.execute("DELETE FROM sets_pending")
    db.execute("DELETE FROM record_sets")
    db.execute("INSERT INTO record_sets SELECT j.value, r.datestamp, r.key FROM records r, json_each(r.sets) j")


def list_sql(select: str, joins: str, where: str, args: list[Any], order: str) -> tuple[str, list[Any]]:
    """Return a query of a set's records from both tables, ordered, as one statement (one snapshot).

    `where` (with `args`) holds `s.spec = ?` first, then conditions on `s.datestamp`, `s.key` and `r`.
    The folded side walks the primary key in order; the pending side (a few hundred rows at most)
    matches the set in the records row's list. SQLite merges the two ordered sides.
    """
    pending_where = where.replace("s.spec = ?", "? IN (SELECT value FROM json_each(r.sets))", 1)
    folded = f"{select} FROM record_sets s JOIN records r ON r.key = s.key{joins}{where}"
    noted = f"{select} FROM sets_pending s JOIN records r ON r.key = s.key{joins}{pending_where}"
    return f"{folded} UNION ALL {noted} {order}", args + args


def count_sql(where: str, args: list[Any], by_status: bool) -> tuple[str, list[Any]]:
    """Return the count of a set's records in both tables; `where` as list_sql's (`r` only when `by_status`)."""
    folded = "record_sets s JOIN records r ON r.key = s.key" if by_status else "record_sets s"
    pending_where = where.replace("s.spec = ?", "? IN (SELECT value FROM json_each(r.sets))", 1)
    noted = f"SELECT count(*) FROM sets_pending s JOIN records r ON r.key = s.key{pending_where}"
    return f"SELECT (SELECT count(*) FROM {folded}{where}) + ({noted}) AS n", args + args
