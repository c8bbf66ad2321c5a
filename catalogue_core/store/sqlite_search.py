"""SQLite: the landing search index, an FTS5 table over `records.search` kept in step by triggers."""

from __future__ import annotations

import sqlite3

# External content (content='records'): the index keeps no second copy of the text, and no per-row
# sizes (columnsize=0: only ranking reads them, and search orders by date). A write's search index
# part fell from ~5.5 to ~3.5 WAL pages (bench/store_write.py). External content reads the text
# back from `records` when it needs it, so every trigger below hands FTS5 the text it indexed
# ('delete' with old.search); BEFORE INSERT drops the row an INSERT OR REPLACE will replace
# (REPLACE deletes without firing delete triggers).
_TABLE = (
    "CREATE VIRTUAL TABLE records_fts USING fts5(search, content = 'records', content_rowid = 'rowid',"
    " columnsize = 0, tokenize = 'unicode61 remove_diacritics 2')"
)
_TRIGGERS = (  # one statement each: executescript would commit the caller's transaction
    """CREATE TRIGGER IF NOT EXISTS records_search_replace BEFORE INSERT ON records BEGIN
    INSERT INTO records_fts (records_fts, rowid, search)
        SELECT 'delete', rowid, search FROM records WHERE key = new.key;
END""",
    """CREATE TRIGGER IF NOT EXISTS records_search_insert AFTER INSERT ON records BEGIN
    INSERT INTO records_fts (rowid, search) VALUES (new.rowid, new.search);
END""",
    """CREATE TRIGGER IF NOT EXISTS records_search_update AFTER UPDATE OF search ON records BEGIN
    INSERT INTO records_fts (records_fts, rowid, search) VALUES ('delete', old.rowid, old.search);
    INSERT INTO records_fts (rowid, search) VALUES (new.rowid, new.search);
END""",
    """CREATE TRIGGER IF NOT EXISTS records_search_delete AFTER DELETE ON records BEGIN
    INSERT INTO records_fts (records_fts, rowid, search) VALUES ('delete', old.rowid, old.search);
END""",
)
# Schema version 3's index: its own copy of the text, and triggers of other names (dropped by upgrade).
_OLD_TRIGGERS = ("records_fts_replace", "records_fts_insert", "records_fts_update", "records_fts_delete")
LIVE_CREATED = "CREATE INDEX IF NOT EXISTS records_live_created ON records (created DESC, key DESC) WHERE deleted = 0"


def install(db: sqlite3.Connection) -> None:
    """Create the index (filled from `records`) where there is none; a version 3 file keeps its own until upgrade."""
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute(LIVE_CREATED)
        table = db.execute("SELECT sql FROM sqlite_master WHERE name = 'records_fts'").fetchone()
        if table is None:  # a new file, or one from before the search index
            _create(db)
        elif is_external(table[0]):
            _triggers(db)  # no-op when present
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


def is_external(sql: str) -> bool:
    """Tell whether the index's CREATE statement is this layout's (external content)."""
    return "content = 'records'" in sql


def _create(db: sqlite3.Connection) -> None:
    db.execute(_TABLE)
    _triggers(db)
    db.execute("INSERT INTO records_fts (records_fts) VALUES ('rebuild')")


def _triggers(db: sqlite3.Connection) -> None:
    for statement in _TRIGGERS:
        db.execute(statement)
