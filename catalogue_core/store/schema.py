"""The store's schema version: stamped in the store, checked at start, upgraded by `dmzpub migrate`."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import StoreError
from . import thumbnails
from .base import Repository

# 1: the version is stamped (stores from before it hold the same layout, so upgrading only stamps).
# 2: thumbnails are kept decoded beside the records (filled from each record's payload).
# 3: records are counted per (status, set) by every write; the step counts the records already held.
# 4: SQLite's search index holds no copy of the text, its count triggers are cheaper (sqlite_search,
#    sqlite_counts) and set rows have no index by key; the step rebuilds the index, replaces the triggers,
#    drops that index and rewrites the set rows. MongoDB: nothing to do.
# 5: SQLite's search index is kept behind the writes: a write notes the rows to index, searches and a
#    background thread fold them in (sqlite_search); the step replaces the triggers. MongoDB: nothing to do.
# 6: SQLite's set rows are kept behind the writes: a write notes its record in `sets_pending`, folded into
#    `record_sets` with the search index's notes (sqlite_sets); a release before it would miss the pending
#    rows. The step has nothing to convert (the table is made when the file is opened). MongoDB: nothing to do.
# 7: SQLite's renderings are keyed by their records row's rowid and the format's slot, with no index
#    (sqlite_rendered); the step rewrites them in one transaction. MongoDB: nothing to do.
# 8: SQLite's records rows have an explicit id (INTEGER PRIMARY KEY, the rowid the renderings and the search
#    index are keyed by), so a dump and reload (`.dump`, iterdump) or VACUUM keeps it (sqlite_ids); the step
#    rebuilds the records table in one transaction, each row's id its rowid. MongoDB: nothing to do.
SCHEMA_VERSION = 8


def _sqlite_only(step: str) -> Callable[[Repository], None]:
    """Return a step that calls the repository's method `step`, which only SQLite's has."""

    def apply(repo: Repository) -> None:
        upgrade = getattr(repo, step, None)
        if upgrade is not None:
            upgrade()

    return apply


# Each step upgrades a store from the version before it; one function per version, applied in order.
MIGRATIONS: dict[int, Callable[[Repository], None]] = {
    1: lambda repo: None,
    2: thumbnails.fill,
    3: lambda repo: repo.rebuild_counts(),
    4: lambda repo: repo.upgrade_layout(),
    5: _sqlite_only("defer_search_index"),
    6: lambda repo: None,
    7: _sqlite_only("key_renderings_by_rowid"),
    8: _sqlite_only("key_records_by_id"),
}


class SchemaMismatch(StoreError):
    """The store's schema version is not the one this release reads; the message says what to run."""


def _is_empty(repo: Repository) -> bool:
    return not repo.list_keys(None, 1)


def check(repo: Repository) -> None:
    """Stamp a new, empty store; raise SchemaMismatch for a store older or newer than this release."""
    found = repo.schema_version()
    if found is None and _is_empty(repo):
        repo.set_schema_version(SCHEMA_VERSION)
        return
    found = found or 0
    if found < SCHEMA_VERSION:
        raise SchemaMismatch(
            f"the record store has schema version {found}, this release needs {SCHEMA_VERSION}. "
            "Fix: back it up (dmzpub export), then run dmzpub migrate"
        )
    if found > SCHEMA_VERSION:
        raise SchemaMismatch(
            f"the record store has schema version {found}, written by a newer dmzpub than this one "
            f"(which reads {SCHEMA_VERSION}). Fix: run the newer release, or restore a backup made for this one"
        )


def migrate(repo: Repository, report: Callable[[str], None] = print) -> int:
    """Apply every upgrade from the store's version to SCHEMA_VERSION; return how many were applied."""
    found = repo.schema_version()
    if found is None and _is_empty(repo):
        repo.set_schema_version(SCHEMA_VERSION)
        return 0
    current = found or 0
    if current > SCHEMA_VERSION:
        check(repo)  # raises, naming the fix
    applied = 0
    for version in range(current + 1, SCHEMA_VERSION + 1):
        report(f"upgrading the record store from schema version {version - 1} to {version}")
        MIGRATIONS[version](repo)
        repo.set_schema_version(version)  # after each step: an interrupted run resumes where it stopped
        applied += 1
    return applied
