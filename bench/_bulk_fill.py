"""Grow a filled SQLite store to N records in SQL: copies of its records under new DOIs, for the 1M-record harvest.

The harvest bench writes its first records through the store's own write path (`Repository.put`,
~400-3,000 records/s here: a million would take many minutes). `replicate` then copies those rows
inside SQLite, table by table, giving each copy the next DOI (`10.99999/BENCH-<n>`, as the bench's
fill names them) in its key, DOI, stored documents and search text, the way the fill's own
variants are made by substituting the DOI. Every table keyed by the record key is copied, so the
indexes, the full-text index (its triggers fire) and any per-record table stay consistent.
Datestamps are copied too: many records share one, which keyset paging orders by key.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

PREFIX = "10.99999/BENCH-"
# A copy's DOI from its source's DOI: number + offset, zero-padded as the bench's fill does.
_NEW_DOI = f"'{PREFIX}' || printf('%08d', CAST(substr({{doi}}, {len(PREFIX) + 1}) AS INTEGER) + :offset)"
# Columns that hold the DOI or key in text: rewritten in each copy (others are copied as they are).
_TEXT_COLUMNS = {"doi", "metadata", "extras", "payload", "search", "xml"}


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
    old_doi = "(SELECT doi FROM records WHERE key = t.key)"
    new_doi = _NEW_DOI.format(doi=old_doi)
    new_key = f"lower({new_doi})"
    values = []
    for column in _columns(db, table):
        if column == "key":
            values.append(new_key)
        elif column == "doi":
            values.append(new_doi)
        elif column in _TEXT_COLUMNS:
            values.append(f"replace(replace(t.{column}, {old_doi}, {new_doi}), t.key, {new_key})")
        else:
            values.append(f"t.{column}")
    return f"INSERT INTO {table} SELECT {', '.join(values)} FROM {table} t WHERE t.key IN (SELECT key FROM seed)"


def replicate(path: Path, total: int) -> float:
    """Grow the store at `path` (filled with BENCH records 0..n-1) to `total` records; return the seconds taken."""
    started = time.perf_counter()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous=OFF")  # a bench's throwaway store: a crash just means filling again
    seed = db.execute("SELECT count(*) FROM records").fetchone()[0]
    db.execute("CREATE TEMP TABLE seed AS SELECT key FROM records")
    statements = [_copy_sql(db, table) for table in _keyed_tables(db)]
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
    db.close()
    return time.perf_counter() - started


def _key(n: int) -> str:
    """The key after the first `n` seed records (keys sort as their zero-padded numbers)."""
    return f"{PREFIX}{n:08d}".lower()
