"""SQLite: each harvestable format's documents again, one format's rows stored together in datestamp order."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping

from ..page_parts import disseminated

# Why a second copy: `rendered` interleaves every part of every record (page parts ~10 KB among
# them), so the 100 documents of a list page sat on ~110 disk pages at 1M records. Here a
# format's rows take the rowids of its own slot (slot << 40, then in write order, which is
# datestamp order), so a page's documents are neighbours: ~40 pages. A rowid table, not WITHOUT
# ROWID: documents of 1-3 KB stay inline instead of spilling to an overflow page each.
_TABLES = """
CREATE TABLE IF NOT EXISTS listing_slots (prefix TEXT PRIMARY KEY, slot INTEGER NOT NULL UNIQUE) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS listing (
    prefix TEXT NOT NULL,
    datestamp TEXT NOT NULL,
    key TEXT NOT NULL,
    xml TEXT NOT NULL
);
"""
_INDEXES = ("CREATE UNIQUE INDEX IF NOT EXISTS listing_order ON listing (prefix, datestamp, key)",)
SCHEMA = _TABLES + "".join(f"{index};\n" for index in _INDEXES)
_SLOT_BITS = 40
_NEW_SLOT = "INSERT OR IGNORE INTO listing_slots SELECT ?, coalesce(max(slot), 0) + 1 FROM listing_slots"
# Each slot's last rowid (or the slot's start): one seek, not a scan of the slot.
_LAST = f"""
SELECT s.prefix, max(s.slot << {_SLOT_BITS}, coalesce((SELECT rowid FROM listing
    WHERE rowid < (s.slot + 1) << {_SLOT_BITS} ORDER BY rowid DESC LIMIT 1), 0))
FROM listing_slots s"""
_DROP = "DELETE FROM listing WHERE prefix IN (SELECT prefix FROM listing_slots) AND datestamp = ? AND key = ?"
# Every format's rows at once: `rendered` read in its own order (the disk's) beside each record's
# datestamp, sorted, numbered within the format. Looking each document up in datestamp order
# instead made one random read per row (a million records' copies took over half an hour).
_FILL = f"""
INSERT INTO listing (rowid, prefix, datestamp, key, xml)
SELECT (s.slot << {_SLOT_BITS}) + row_number() OVER (PARTITION BY x.prefix ORDER BY t.datestamp, x.key),
    x.prefix, t.datestamp, x.key, x.xml
FROM rendered x NOT INDEXED CROSS JOIN temp.listing_stamps t ON t.key = x.key
CROSS JOIN listing_slots s ON s.prefix = x.prefix
ORDER BY x.prefix, t.datestamp, x.key
"""
_STAMPS = (
    "CREATE TEMP TABLE listing_stamps (key TEXT PRIMARY KEY, datestamp TEXT NOT NULL) WITHOUT ROWID",
    "INSERT INTO temp.listing_stamps SELECT key, datestamp FROM records INDEXED BY records_harvest",
)


def write(db: sqlite3.Connection, records: Iterable[tuple[str, str | None, str, Mapping[str, str]]]) -> None:
    """Replace the listed documents of each (key, datestamp before or None, datestamp now, rendered), in the
    caller's transaction."""
    items = list(records)
    # Rows found by the datestamp they were listed under: no index on the key to keep up.
    db.executemany(_DROP, [(before, key) for key, before, _, _ in items if before is not None])
    rows = [(p, stamp, key, xml) for key, _, stamp, rendered in items for p, xml in disseminated(rendered).items()]
    if not rows:
        return
    last = _ends(db, {row[0] for row in rows})
    # Rowids numbered here, once per write: a look-up of the slot's end per row cost ~40 % more.
    numbered = []
    for prefix, stamp, key, xml in rows:
        last[prefix] += 1
        numbered.append((last[prefix], prefix, stamp, key, xml))
    db.executemany("INSERT INTO listing (rowid, prefix, datestamp, key, xml) VALUES (?, ?, ?, ?, ?)", numbered)


def _ends(db: sqlite3.Connection, prefixes: set[str]) -> dict[str, int]:
    """Return each format's last rowid (or its slot's start), giving a format seen for the first time a slot."""
    marks = ", ".join("?" * len(prefixes))
    ends = dict(db.execute(f"{_LAST} WHERE s.prefix IN ({marks})", sorted(prefixes)).fetchall())
    for prefix in sorted(prefixes - ends.keys()):
        db.execute(_NEW_SLOT, (prefix,))
        ends.update(db.execute(f"{_LAST} WHERE s.prefix = ?", (prefix,)).fetchall())
    return ends


def rebuild(db: sqlite3.Connection) -> None:
    """Fill the listing from `records` and `rendered`, each format's rows in order, in the caller's transaction."""
    db.execute("DELETE FROM listing")
    # The index built after the rows, by one sort, not kept up row by row.
    db.execute("DROP INDEX IF EXISTS listing_order")
    prefixes = [row[0] for row in db.execute("SELECT DISTINCT prefix FROM rendered ORDER BY prefix")]
    for prefix in disseminated(dict.fromkeys(prefixes, "")):
        db.execute(_NEW_SLOT, (prefix,))
    db.execute("DROP TABLE IF EXISTS temp.listing_stamps")
    for statement in _STAMPS:
        db.execute(statement)
    db.execute(_FILL)
    db.execute("DROP TABLE temp.listing_stamps")
    for index in _INDEXES:
        db.execute(index)
