"""SQLite: one record's renderings and set rows rewritten (withdrawal, re-rendering, restore)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence

from ..page_parts import disseminated
from . import sqlite_rendered, sqlite_sets
from .base import RecordNotFound, json_text
from .entries import WriteResult


def many(db: sqlite3.Connection, sql: str, rows: Sequence[Sequence[object]]) -> None:
    """executemany, skipped when there are no rows: an empty one still prepares its statement (~3 us a call)."""
    # A single put's created record has no old rows to delete nor claims to record: ~15 us of its ~600.
    if rows:
        db.executemany(sql, rows)


def write_changed(db: sqlite3.Connection, rowid: int, old: dict[str, str], rendered: dict[str, str]) -> None:
    """Make a records row's stored renderings `rendered`, writing only the formats that differ from `old`."""
    # A reindex after a release mostly changes one or two formats of each record: rewriting all of
    # them (tens of kB a record) was most of what the reindex's writing process spent.
    gone = [prefix for prefix in old if prefix not in rendered]
    if gone:
        sqlite_rendered.forget(db, rowid, gone)
    changed = {prefix: xml for prefix, xml in rendered.items() if old.get(prefix) != xml}
    if changed:
        sqlite_rendered.write(db, [(rowid, changed)], replace=True)


def rerender(
    db: sqlite3.Connection,
    key: str,
    rendered: dict[str, str],
    sets: tuple[str, ...],
    search: str | None,
    stamp: Callable[[str | None], str],
) -> WriteResult:
    """Write a stored record's new renderings; its datestamp moves only when what harvesters see changed."""
    row = db.execute("SELECT id, datestamp, deleted, sets FROM records WHERE key = ?", (key,)).fetchone()
    if row is None:
        raise RecordNotFound(key)
    if search is not None:  # the FTS trigger fires only when the text really changes
        db.execute("UPDATE records SET search = ? WHERE key = ? AND search != ?", (search, key, search))
    if row["deleted"]:
        return WriteResult(key, "unchanged", row["datestamp"])
    old = sqlite_rendered.of(db, row["id"])
    if disseminated(old) == disseminated(rendered) and tuple(json.loads(row["sets"])) == sets:
        if old != rendered:  # only the page parts changed: harvesters see nothing new
            write_changed(db, row["id"], old, rendered)
        return WriteResult(key, "unchanged", row["datestamp"])
    now = stamp(row["datestamp"])
    db.execute("UPDATE records SET datestamp = ?, sets = ? WHERE key = ?", (now, json_text(list(sets)), key))
    write_changed(db, row["id"], old, rendered)
    sqlite_sets.write(db, key, now, row)
    return WriteResult(key, "updated", now)
