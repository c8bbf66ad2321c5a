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
_INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS listing_order ON listing (prefix, datestamp, key)",
    "CREATE INDEX IF NOT EXISTS listing_key ON listing (key)",
)
SCHEMA = _TABLES + "".join(f"{index};\n" for index in _INDEXES)
_SLOT_BITS = 40
_NEW_SLOT = "INSERT OR IGNORE INTO listing_slots SELECT ?, coalesce(max(slot), 0) + 1 FROM listing_slots"
# The slot's last rowid (or the slot's start): one seek, not a scan of the slot.
_LAST = f"""
SELECT max(s.slot << {_SLOT_BITS}, coalesce((SELECT rowid FROM listing
    WHERE rowid < (s.slot + 1) << {_SLOT_BITS} ORDER BY rowid DESC LIMIT 1), 0))
FROM listing_slots s WHERE s.prefix = ?
"""
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


def write(db: sqlite3.Connection, records: Iterable[tuple[str, str, Mapping[str, str]]]) -> None:
    """Replace the listed documents of each (key, datestamp, rendered), in the caller's transaction."""
    items = list(records)
    db.executemany("DELETE FROM listing WHERE key = ?", [(key,) for key, _, _ in items])
    rows = [(p, stamp, key, xml) for key, stamp, rendered in items for p, xml in disseminated(rendered).items()]
    last: dict[str, int] = {}
    for prefix in sorted({row[0] for row in rows}):
        db.execute(_NEW_SLOT, (prefix,))
        last[prefix] = db.execute(_LAST, (prefix,)).fetchone()[0]
    # Rowids numbered here, once per batch: a look-up of the slot's end per row cost ~40 % more.
    numbered = []
    for prefix, stamp, key, xml in rows:
        last[prefix] += 1
        numbered.append((last[prefix], prefix, stamp, key, xml))
    db.executemany("INSERT INTO listing (rowid, prefix, datestamp, key, xml) VALUES (?, ?, ?, ?, ?)", numbered)


def rebuild(db: sqlite3.Connection) -> None:
    """Fill the listing from `records` and `rendered`, each format's rows in order, in the caller's transaction."""
    db.execute("DELETE FROM listing")
    # Indexes built after the rows, by one sort each: kept during the fill, the key index's
    # random inserts made a million records' layout take many times longer.
    db.execute("DROP INDEX IF EXISTS listing_order")
    db.execute("DROP INDEX IF EXISTS listing_key")
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
