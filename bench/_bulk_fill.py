"""Grow a filled SQLite store to N records in SQL: copies of its records under new DOIs, for the 1M-record harvest.

The harvest bench writes its first records through the store's own write path (`Repository.put`,
~400-3,000 records/s here: a million would take many minutes). `replicate` then copies those rows
inside SQLite, table by table, giving each copy the next DOI (`10.99999/BENCH-<n>`, as the bench's
fill names them) in its key, DOI, stored documents and search text, the way the fill's own
variants are made by substituting the DOI. Every table keyed by the record key is copied (and the
renderings, keyed by their records row's id since schema 7, under the copy's), so the
indexes, the full-text index (its triggers fire) and any per-record table stay consistent.
Datestamps are copied too: many records share one, which keyset paging orders by key.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

PREFIX = "10.99999/BENCH-"
_START = len(PREFIX) + 1  # where the number starts in a key (1-based, as substr counts)
# A copy's number: its source's + offset, zero-padded as the bench's fill writes it. Derived from the
# key alone (the DOI is the key in the fill's case), so no row needs a look-up in another table.
_NUMBER = f"printf('%08d', CAST(substr(t.key, {_START}) AS INTEGER) + :offset)"
_OLD_DOI = f"('{PREFIX}' || substr(t.key, {_START}))"
_NEW_DOI = f"('{PREFIX}' || {_NUMBER})"
_NEW_KEY = f"lower({_NEW_DOI})"
# Columns that hold the DOI or key in text: rewritten in each copy (others are copied as they are).
_TEXT_COLUMNS = {"metadata", "extras", "payload", "search", "xml"}


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


def _keyed_tables(db: sqlite3.Connection) -> list[str]:
    """Every ordinary table with a `key` column (records first): what one record owns."""
    names = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    # Not the publisher's sequences (no record of its own), nor the full-text index (its triggers fill it).
    keyed = [n for n in names if "key" in _columns(db, n) and n != "sequences" and not n.startswith("records_")]
    return sorted(keyed, key=lambda n: n != "records")


def _copy_sql(db: sqlite3.Connection, table: str) -> str:
    """INSERT ... SELECT copying the seed rows of `table` under the DOIs `offset` further on."""
    values = []
    for column in _columns(db, table):
        if column == "id":  # the records row's id (schema 8): a copy is a new row, with the next one
            values.append("NULL")
        elif column == "key":
            values.append(_NEW_KEY)
        elif column == "doi":
            values.append(_NEW_DOI)
        elif column in _TEXT_COLUMNS:
            values.append(f"replace(replace(t.{column}, {_OLD_DOI}, {_NEW_DOI}), t.key, {_NEW_KEY})")
        else:
            values.append(f"t.{column}")
    return f"INSERT INTO {table} SELECT {', '.join(values)} FROM {table} t WHERE t.key IN (SELECT key FROM seed)"


def _rendered_sql(db: sqlite3.Connection) -> list[str]:
    """The renderings' copy when they are keyed by their records row's id (schema 7: sqlite_rendered), else none."""
    if "id" not in _columns(db, "rendered"):
        return []  # keyed by `key`: copied with the other keyed tables
    from catalogue_core.store.sqlite_rendered import SLOTS  # only this layout's code has it

    xml = f"replace(replace(x.xml, {_OLD_DOI}, {_NEW_DOI}), t.key, {_NEW_KEY})"
    return [
        f"INSERT INTO rendered SELECT n.rowid * {SLOTS} + x.id % {SLOTS}, x.prefix, {xml} FROM records t"
        f" JOIN rendered x ON x.id BETWEEN t.rowid * {SLOTS} AND t.rowid * {SLOTS} + {SLOTS - 1}"
        f" JOIN records n ON n.key = {_NEW_KEY} WHERE t.key IN (SELECT key FROM seed)"
    ]


def _fold_set_rows(db: sqlite3.Connection) -> None:
    """Write the set rows the fill left pending (schema 6: sqlite_sets), so the copies have theirs in `record_sets`.

    Copied pending, a million records' set rows would be read by every harvest page of a set until a write folds them.
    """
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sets_pending'").fetchone():
        from catalogue_core.store import sqlite_sets  # only this layout's code has it

        db.execute("BEGIN")
        sqlite_sets.fold(db)
        db.execute("COMMIT")


def replicate(path: Path, total: int) -> float:
    """Grow the store at `path` (filled with BENCH records 0..n-1) to `total` records; return the seconds taken."""
    started = time.perf_counter()
    db = sqlite3.connect(path, isolation_level=None)
    # A bench's throwaway store, not yet served: no journal, no syncs, a big cache for the indexes
    # (the rows are written once, not to the WAL and again at the checkpoint); WAL again at the end.
    db.execute("PRAGMA journal_mode=DELETE")
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-1000000")
    _fold_set_rows(db)
    seed = db.execute("SELECT count(*) FROM records").fetchone()[0]
    db.execute("CREATE TEMP TABLE seed AS SELECT key FROM records")
    statements = [_copy_sql(db, table) for table in _keyed_tables(db)] + _rendered_sql(db)
    for offset in range(seed, total, seed):
        db.execute("DELETE FROM temp.seed")
        last = _key(min(seed, total - offset))  # the last copy may take only the first seed records
        db.execute("INSERT INTO temp.seed SELECT key FROM records WHERE key < ?", (last,))
        db.execute("BEGIN")
        for statement in statements:
            db.execute(statement, {"offset": offset})
        db.execute("COMMIT")
        print(f"\r  copied to {min(offset + seed, total):,}/{total:,}", end="", flush=True)
    print()
    db.execute("PRAGMA journal_mode=WAL")
    db.close()
    return time.perf_counter() - started


def _key(n: int) -> str:
    """The key after the first `n` seed records (keys sort as their zero-padded numbers)."""
    return f"{PREFIX}{n:08d}".lower()
