"""SQLite: the landing search index, FTS5 over `records.search`, kept behind the writes and caught up by reads."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

# A search matching at least this many records walks the newest-first index (see browse_query).
DENSE = 500

# External content (content='records'): the index keeps no second copy of the text, and no per-row
# sizes (columnsize=0: only ranking reads them, and search orders by date). A write's search index
# part fell from ~5.5 to ~3.5 WAL pages (bench/store_write.py).
_TABLE = (
    "CREATE VIRTUAL TABLE records_fts USING fts5(search, content = 'records', content_rowid = 'rowid',"
    " columnsize = 0, tokenize = 'unicode61 remove_diacritics 2')"
)
# Behind the writes (schema version 5): a write only notes the rows whose index entry it made stale,
# in its own transaction; fold() brings them into the index in one pass, before every search and in
# the background. FTS5 costs a fixed ~200,000 instructions a transaction (its segment flush at commit),
# ~17 % of a single put's store CPU; folded a hundred rows at a time it costs ~5 % (valgrind counts).
# A pending row holds the text the index holds for that rowid (NULL: none), so that fold can hand
# FTS5 the text to delete (external content). Only a row's first note counts (the index has not changed
# since): an upsert's DO NOTHING, not INSERT OR IGNORE, which the INSERT OR REPLACE firing it would override.
PENDING = "CREATE TABLE IF NOT EXISTS search_pending (rowid INTEGER PRIMARY KEY, indexed TEXT)"
_NOTE = "INSERT INTO search_pending VALUES ({rowid}, {text}) ON CONFLICT DO NOTHING"
_TRIGGERS = (  # one statement each: executescript would commit the caller's transaction
    # INSERT OR REPLACE deletes the row it replaces without firing delete triggers.
    """CREATE TRIGGER IF NOT EXISTS records_search_replace BEFORE INSERT ON records BEGIN
    INSERT INTO search_pending SELECT rowid, search FROM records WHERE key = new.key ON CONFLICT DO NOTHING;
END""",
    f"""CREATE TRIGGER IF NOT EXISTS records_search_insert AFTER INSERT ON records BEGIN
    {_NOTE.format(rowid="new.rowid", text="NULL")};
END""",
    f"""CREATE TRIGGER IF NOT EXISTS records_search_update AFTER UPDATE OF search ON records BEGIN
    {_NOTE.format(rowid="old.rowid", text="old.search")};
END""",
    f"""CREATE TRIGGER IF NOT EXISTS records_search_delete AFTER DELETE ON records BEGIN
    {_NOTE.format(rowid="old.rowid", text="old.search")};
END""",
)
_NAMES = tuple(trigger.split()[5] for trigger in _TRIGGERS)  # CREATE TRIGGER IF NOT EXISTS <name> ...
# Schema version 3's index: its own copy of the text, and triggers of other names (dropped by upgrade).
_OLD_TRIGGERS = ("records_fts_replace", "records_fts_insert", "records_fts_update", "records_fts_delete")
LIVE_CREATED = "CREATE INDEX IF NOT EXISTS records_live_created ON records (created DESC, key DESC) WHERE deleted = 0"
_FOLD = (
    "INSERT INTO records_fts (records_fts, rowid, search)"
    " SELECT 'delete', rowid, indexed FROM search_pending WHERE indexed IS NOT NULL",
    "INSERT INTO records_fts (rowid, search)"
    " SELECT r.rowid, r.search FROM search_pending p JOIN records r ON r.rowid = p.rowid",
    "DELETE FROM search_pending",
)


def install(db: sqlite3.Connection) -> None:
    """Create the index (filled from `records`) where there is none and fold what a stopped process left pending.

    A version 3 file keeps its own index until upgrade; a version 4 file its triggers (which index in step).
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute(LIVE_CREATED)
        db.execute(PENDING)
        table = db.execute("SELECT sql FROM sqlite_master WHERE name = 'records_fts'").fetchone()
        if table is None:  # a new file, or one from before the search index
            _create(db)
        elif is_external(table[0]):
            _triggers(db)  # no-op when present
            fold(db)
        db.execute("COMMIT")
    finally:
        if db.in_transaction:
            db.execute("ROLLBACK")


def upgrade(db: sqlite3.Connection) -> None:
    """Replace a version 3 file's index (its own copy of the text) by this one, in the caller's transaction."""
    table = db.execute("SELECT sql FROM sqlite_master WHERE name = 'records_fts'").fetchone()
    if table is not None and is_external(table[0]):
        return
    for name in _OLD_TRIGGERS:
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
    db.execute("DROP TABLE IF EXISTS records_fts")
    _create(db)


def defer(db: sqlite3.Connection) -> None:
    """Replace version 4's triggers (indexing in each write) by the pending notes, in the caller's transaction."""
    db.execute(PENDING)
    fold(db)  # empty under version 4's triggers; a file already upgraded may hold some
    for name in _NAMES:
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
    _triggers(db)


def is_external(sql: str) -> bool:
    """Tell whether the index's CREATE statement is this layout's (external content)."""
    return "content = 'records'" in sql


def pending(db: sqlite3.Connection) -> bool:
    """Tell whether some committed write is not in the index yet."""
    return db.execute("SELECT EXISTS (SELECT 1 FROM search_pending)").fetchone()[0] == 1


def fold(db: sqlite3.Connection) -> None:
    """Bring every pending row into the index, in the caller's write transaction."""
    for statement in _FOLD:
        db.execute(statement)


# Pending notes a write transaction folds itself (sqlite.py's _write): sustained writes can keep the
# background thread from the write turn; a fold of this many rows costs a writer ~10 ms. Writes look
# once per CHECK rows changed (a single put changes ~20, counting the triggers' rows).
MANY = 500
CHECK = 2000


def fold_if_many(db: sqlite3.Connection) -> None:
    """Fold the pending rows in the caller's write transaction when there are MANY or more."""
    if db.execute("SELECT count(*) >= ? FROM (SELECT 1 FROM search_pending LIMIT ?)", (MANY, MANY)).fetchone()[0]:
        fold(db)


def _create(db: sqlite3.Connection) -> None:
    db.execute(PENDING)
    db.execute(_TABLE)
    _triggers(db)
    db.execute("INSERT INTO records_fts (records_fts) VALUES ('rebuild')")
    db.execute("DELETE FROM search_pending")  # the rebuilt index holds every row as it is now


def _triggers(db: sqlite3.Connection) -> None:
    for statement in _TRIGGERS:
        db.execute(statement)


def browse_query(
    read: Callable[[str, Sequence[Any]], list[Any]],
    columns: str,
    terms: list[list[str]],
    before: tuple[str, str] | None,
    limit: int,
) -> tuple[str, list[Any]]:
    """Return the landing index's query of `columns` (of `records r`): live records newest first, older than
    `before` (created, key), matching every one of `terms` (search_terms'); `read` runs the probe picking its plan."""
    clauses: list[str] = ["r.deleted = 0"]
    args: list[Any] = []  # the literal `deleted = 0` selects the partial index
    source = "records r"
    if before:
        clauses.append("(r.created, r.key) < (?, ?)")
        args.extend(before)
    if terms:
        # Each term a phrase of its words, the last one a prefix; words hold only letters
        # and digits, so no user text reaches the FTS5 query syntax.
        match = " AND ".join(f'"{" ".join(words)}"*' for words in terms)
        clauses.append("r.rowid IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?)")
        args.append(match)
        # Few matches: fetch and sort them. Many: walk the newest-first index, which meets
        # a page of matches early, instead of sorting them all.
        probe = read("SELECT rowid FROM records_fts WHERE records_fts MATCH ? LIMIT ?", (match, DENSE))
        if len(probe) >= DENSE:
            source = "records r INDEXED BY records_live_created"
    sql = f"SELECT {columns} FROM {source} WHERE {' AND '.join(clauses)} ORDER BY r.created DESC, r.key DESC LIMIT ?"
    return sql, [*args, limit]
