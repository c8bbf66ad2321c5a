"""SQLite: the records rows' ids as a column of their own (schema version 8), kept by a dump and reload or VACUUM."""

from __future__ import annotations

import sqlite3

from .sqlite_layout import COLUMNS, RECORDS

# The records table's indexes and triggers, as stored: made again, word for word, once the table is rebuilt.
_ATTACHED = "SELECT sql FROM sqlite_master WHERE tbl_name = 'records' AND type IN ('index', 'trigger') AND sql NOTNULL"
# The old table is renamed, not the new one: a renamed table's stored SQL would read `CREATE TABLE "records"`,
# unlike a new store's. Its indexes and triggers go along with it and are dropped with it, so the copy fires
# none: the counts, the search index (keyed by the same rowids) and the renderings stay as they are.
_REBUILD = (
    "ALTER TABLE records RENAME TO records_v7",
    RECORDS,
    f"INSERT INTO records (id, {COLUMNS}) SELECT rowid, {COLUMNS} FROM records_v7",
    "DROP TABLE records_v7",
)


def upgrade(db: sqlite3.Connection) -> None:
    """Rebuild a version 7 file's records table with an id column, each row's id its rowid, in the caller's write."""
    if "id" in [row[1] for row in db.execute("PRAGMA table_info(records)")]:
        return
    attached = [row[0] for row in db.execute(_ATTACHED)]
    for statement in _REBUILD:
        db.execute(statement)
    for statement in attached:
        db.execute(statement)
