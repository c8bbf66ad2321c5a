"""SQLite: a record's renderings keyed by its records row (id = rowid * SLOTS + the format's slot), with no index.

Keyed (key, prefix) they needed an index of their own: ~2.3 of a single put's ~24 WAL pages and ~23 us
of its ~210 us of store CPU (bench/store_write.py), and every read a second b-tree descent. Each format
(prefix) has a slot, given on its first write and never changed (`rendered_slots`). A write that replaces
a records row gives it a new rowid: its old renderings are deleted by the old rowid's range first.
The records rowids are stable, the search index relies on them too: since schema version 8 the rowid is the
records table's `id` column (INTEGER PRIMARY KEY), part of its content, which a dump and reload (`.dump`,
iterdump, INSERT ... SELECT of every column) and VACUUM keep; an implicit rowid they may renumber (sqlite_ids).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from ..errors import StoreError
from .sqlite_layout import RENDERED
from .sqlite_multirow import insert

SLOTS = 64  # formats a store can hold; a record's ids are rowid * SLOTS ... rowid * SLOTS + SLOTS - 1
# The id of the rendering of format `?` of records row `r`: NULL for a format never written (no row).
ID_OF = f"r.rowid * {SLOTS} + (SELECT slot FROM rendered_slots WHERE prefix = ?)"
_RANGE = f"id BETWEEN ? * {SLOTS} AND ? * {SLOTS} + {SLOTS - 1}"
_OF = f"SELECT prefix, xml FROM rendered WHERE {_RANGE} ORDER BY prefix"  # by prefix, as the (key, prefix) index gave
# Every rendering of the records rows `r` (add a WHERE on r, and ORDER BY x.prefix where the order counts).
OF_RECORDS = f"SELECT r.key, x.prefix, x.xml FROM records r JOIN rendered x ON x.id BETWEEN r.rowid * {SLOTS}"
OF_RECORDS += f" AND r.rowid * {SLOTS} + {SLOTS - 1}"


def of(db: sqlite3.Connection, rowid: int) -> dict[str, str]:
    """Return the renderings of records row `rowid`, by format."""
    return {prefix: xml for prefix, xml in db.execute(_OF, (rowid, rowid))}


def delete(db: sqlite3.Connection, rowids: Sequence[int]) -> None:
    """Delete every rendering of the records rows `rowids`."""
    if rowids:
        db.executemany(f"DELETE FROM rendered WHERE {_RANGE}", [(rowid, rowid) for rowid in rowids])


def write(db: sqlite3.Connection, records: Sequence[tuple[int, dict[str, str]]], replace: bool = False) -> None:
    """Write (rowid, renderings) of records rows, in the caller's write transaction (`replace`: over held ones)."""
    slot = slots(db, {prefix for _, rendered in records for prefix in rendered})
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    rows = [(rowid * SLOTS + slot[p], p, xml) for rowid, rendered in records for p, xml in rendered.items()]
    rows.sort()  # in id order: each row appends at the table's end (out of order: ~1 more page a put)
    # Many rows a statement, not executemany's one each: with the set notes alike and the sets fold's covering
    # read, 703.7 K -> 686.8 K instructions a bulk-written record (callgrind, store and fold).
    insert(db, f"{verb} INTO rendered", "(?,?,?)", rows)


def forget(db: sqlite3.Connection, rowid: int, prefixes: Iterable[str]) -> None:
    """Delete the renderings of records row `rowid` in these formats."""
    slot = slots(db, set(prefixes))
    db.executemany("DELETE FROM rendered WHERE id = ?", [(rowid * SLOTS + slot[p],) for p in prefixes])


def slots(db: sqlite3.Connection, prefixes: set[str]) -> dict[str, int]:
    """Return the slot of each format, giving the next free one to a format never written."""
    held = dict(db.execute("SELECT prefix, slot FROM rendered_slots").fetchall())
    for prefix in sorted(prefixes - held.keys()):
        if len(held) >= SLOTS:
            raise StoreError(f"the SQLite store holds {SLOTS} formats already, and cannot add {prefix!r}")
        held[prefix] = len(held)
        db.execute("INSERT INTO rendered_slots VALUES (?, ?)", (prefix, held[prefix]))
    return held


# Schema step 7: the renderings keyed (key, prefix) rewritten under their records rows' ids, in one transaction.
UPGRADE = (
    "INSERT OR IGNORE INTO rendered_slots SELECT prefix, row_number() OVER (ORDER BY prefix) - 1"
    " FROM (SELECT DISTINCT prefix FROM rendered_by_key)",
    f"INSERT INTO rendered SELECT r.rowid * {SLOTS} + s.slot, x.prefix, x.xml"
    " FROM rendered_by_key x JOIN records r ON r.key = x.key JOIN rendered_slots s ON s.prefix = x.prefix",
    "DROP TABLE rendered_by_key",
)


# A records row deleted (only ever by hand: no store write does, INSERT OR REPLACE fires no delete trigger)
# takes its renderings along, or a later row given its rowid again would find them under its ids.
_TRIGGER = f"""CREATE TRIGGER IF NOT EXISTS records_rendered_delete AFTER DELETE ON records BEGIN
    DELETE FROM rendered WHERE id BETWEEN old.rowid * {SLOTS} AND old.rowid * {SLOTS} + {SLOTS - 1};
END"""


def install(db: sqlite3.Connection) -> None:
    """Create the trigger of this layout in a file of this layout (one of an earlier layout gets it by upgrade)."""
    if _keyed_by_rowid(db):
        db.execute(_TRIGGER)


def upgrade(db: sqlite3.Connection) -> None:
    """Move a file's renderings keyed (key, prefix) to this layout, in the caller's transaction (schema step 7)."""
    if not _keyed_by_rowid(db):
        db.execute("ALTER TABLE rendered RENAME TO rendered_by_key")
        db.execute(RENDERED)
        for statement in UPGRADE:
            db.execute(statement)
    db.execute(_TRIGGER)


def _keyed_by_rowid(db: sqlite3.Connection) -> bool:
    return "id" in [row[1] for row in db.execute("PRAGMA table_info(rendered)")]
