"""The SQLite file's layout: its tables and indexes, and the upgrades of files made before them."""

RENDERED = "CREATE TABLE IF NOT EXISTS rendered (id INTEGER PRIMARY KEY, prefix TEXT NOT NULL, xml TEXT NOT NULL)"

# The columns a write names (the id left out: a new row, or one replacing a row, gets the next one).
COLUMNS = "key, doi, datestamp, created, deleted, reason, content_hash, sets, search, metadata, extras, payload, status"
# The id (schema version 8) is the rowid, which the renderings and the search index are keyed by: as a
# column it is part of the table's content, kept by a dump and reload and by VACUUM (an implicit rowid is not).
RECORDS = """CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY,
    key TEXT UNIQUE NOT NULL,
    doi TEXT NOT NULL,
    datestamp TEXT NOT NULL,
    created TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    content_hash TEXT NOT NULL,
    sets TEXT NOT NULL,
    search TEXT NOT NULL DEFAULT '',
    metadata TEXT NOT NULL,
    extras TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT ''
)"""

SCHEMA = f"""
{RECORDS};
-- A rowid table, not WITHOUT ROWID: documents of 1-4 KB stored in the key's b-tree made it deep
-- and spilled to overflow pages (a list page's 100 lookups cost ~2.5x as much). Keyed by the records
-- row's rowid and the format's slot since schema version 7, with no index (sqlite_rendered).
{RENDERED};
CREATE TABLE IF NOT EXISTS rendered_slots (prefix TEXT PRIMARY KEY, slot INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS record_sets (
    spec TEXT NOT NULL,
    datestamp TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (spec, datestamp, key)
) WITHOUT ROWID;
-- No index by key (before schema version 4, record_sets_key): a record's rows are deleted by their
-- primary key, from the sets and datestamp the records row holds (every write stamps both alike).
-- The set rows not yet written (schema version 6): sqlite_sets.
CREATE TABLE IF NOT EXISTS sets_pending (
    datestamp TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (datestamp, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inflight (token TEXT PRIMARY KEY, started REAL NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
-- The publisher's last sequence per DOI (X-Dmzpub-Sequence), also for DOIs withdrawn before held.
CREATE TABLE IF NOT EXISTS sequences (key TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
"""
# Run after STATUS_COLUMN has brought an older file's table up to date.
INDEXES = """
-- Covering: a list page reads its summaries (and the status harvests filter on) from this index
-- alone, in order, never the large rows.
CREATE INDEX IF NOT EXISTS records_harvest
    ON records (datestamp, key, doi, created, deleted, content_hash, sets, reason, status);
DROP INDEX IF EXISTS records_listing;
DROP INDEX IF EXISTS records_datestamp;
"""
# Files written before records knew their SciCat status: add the column, filled from the extras.
STATUS_COLUMN = """
BEGIN IMMEDIATE;
ALTER TABLE records ADD COLUMN status TEXT NOT NULL DEFAULT '';
UPDATE records SET status = coalesce(json_extract(extras, '$.status'), 'public');
COMMIT;
"""
# The landing index (live records newest first, full-text search): sqlite_search.
