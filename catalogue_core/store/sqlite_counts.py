"""SQLite: records per (status, set) and the write generation, kept by triggers inside each write."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

# Triggers, not Python, keep the counts: every statement that changes `records` (put, withdraw,
# re-render, restore, import, migrations, and batched writes to come) updates them in its own
# transaction, so a rollback (a crash mid-write, a full disk) undoes both together.
# spec '' counts every record of a status (a setSpec is never empty). The generation (meta)
# is bumped by every row written: the sitemap cache is keyed by it.
# The BEFORE INSERT trigger takes out the row an INSERT OR REPLACE will replace (REPLACE deletes
# without firing delete triggers), as sqlite_search's records_search_replace does for the search index.
COUNTS_SCHEMA = """
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS counts (
    status TEXT NOT NULL,
    spec TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (status, spec)
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta VALUES ('generation', '0');
"""
# Cheaper since schema version 4 (~70 -> ~20 us a record): the BEFORE INSERT trigger runs only
# when the key is held (WHEN), and the insert side adds the sets with UNION ALL, not a UNION's
# de-duplicating temporary table: a record's sets are distinct, as every write of `sets` also
# writes record_sets, whose primary key (spec, datestamp, key) refuses a set twice.
_PLUS = """INSERT INTO counts SELECT new.status, '', 1 UNION ALL SELECT new.status, value, 1 FROM json_each(new.sets)
        WHERE true ON CONFLICT DO UPDATE SET n = n + 1"""
_TRIGGERS = {  # one statement each (executescript would commit the caller's transaction)
    "records_counts_replace": """BEFORE INSERT ON records WHEN EXISTS (SELECT 1 FROM records WHERE key = new.key) BEGIN
    UPDATE counts SET n = n - 1 WHERE (status, spec) IN (
        SELECT status, '' FROM records WHERE key = new.key
        UNION SELECT r.status, j.value FROM records r, json_each(r.sets) j WHERE r.key = new.key);
END""",
    "records_counts_insert": f"""AFTER INSERT ON records BEGIN
    {_PLUS};
    UPDATE meta SET value = value + 1 WHERE name = 'generation';
END""",
    "records_counts_move": f"""AFTER UPDATE OF status, sets ON records
    WHEN old.status IS NOT new.status OR old.sets IS NOT new.sets BEGIN
    UPDATE counts SET n = n - 1 WHERE (status, spec) IN (
        SELECT old.status, '' UNION SELECT old.status, value FROM json_each(old.sets));
    {_PLUS};
END""",
    "records_generation_update": """AFTER UPDATE ON records BEGIN
    UPDATE meta SET value = value + 1 WHERE name = 'generation';
END""",
    "records_counts_delete": """AFTER DELETE ON records BEGIN
    UPDATE counts SET n = n - 1 WHERE (status, spec) IN (
        SELECT old.status, '' UNION SELECT old.status, value FROM json_each(old.sets));
    UPDATE meta SET value = value + 1 WHERE name = 'generation';
END""",
}
# Counted from the records themselves: once when a file first gets the table, and by `dmzpub migrate`.
_REBUILD = """
DELETE FROM counts;
INSERT INTO counts SELECT status, '', count(*) FROM records GROUP BY status;
INSERT INTO counts SELECT r.status, j.value, count(*) FROM records r, json_each(r.sets) j GROUP BY 1, 2;
INSERT OR REPLACE INTO meta VALUES ('counts', 'built');
"""


def install(db: sqlite3.Connection) -> None:
    """Create the counts table and triggers; count the records if this file never had them.

    A file of schema version 3 keeps its triggers (the same counts, at a higher cost) until upgrade.
    """
    db.executescript(COUNTS_SCHEMA)
    try:
        for name, body in _TRIGGERS.items():
            db.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
        if not db.execute("SELECT 1 FROM meta WHERE name = 'counts'").fetchone():
            rebuild(db)
        db.execute("COMMIT")
    finally:
        if db.in_transaction:
            db.execute("ROLLBACK")


def upgrade(db: sqlite3.Connection) -> None:
    """Replace the triggers by this release's and recount, in the caller's transaction (schema version 4)."""
    for name, body in _TRIGGERS.items():
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
        db.execute(f"CREATE TRIGGER {name} {body}")
    rebuild(db)


def rebuild(db: sqlite3.Connection) -> None:
    """Recount every (status, set) from the records, in the caller's transaction."""
    for statement in _REBUILD.strip().split(";\n"):
        db.execute(statement)


def maintained(db: sqlite3.Connection, spec: str | None, statuses: Sequence[str] | None) -> int:
    """Return how many records (and tombstones) of these statuses (None: any) are in the set (None: any)."""
    sql, args = "SELECT total(n) FROM counts WHERE spec = ?", [spec or ""]
    if statuses is not None:
        sql += f" AND status IN ({', '.join('?' * len(statuses))})"
        args.extend(statuses)
    return int(db.execute(sql, args).fetchone()[0])


def set_specs(db: sqlite3.Connection) -> list[str]:
    """Return every setSpec some record belongs to, sorted, without reading the records."""
    return [row[0] for row in db.execute("SELECT DISTINCT spec FROM counts WHERE spec != '' AND n > 0 ORDER BY spec")]


GENERATION = "SELECT value FROM meta WHERE name = 'generation'"  # a subquery of sqlite_page's read too


def generation(db: sqlite3.Connection) -> int:
    """Return the write generation: it changes whenever a record row is written."""
    row = db.execute(GENERATION).fetchone()
    return generation_of(row[0] if row else None)


def generation_of(value: Any) -> int:
    """Return the generation from the meta table's value (None: no write yet)."""
    return 0 if value is None else int(value)
