"""SQLite: one record's renderings and set rows rewritten (withdrawal, re-rendering, restore)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence

from ..page_parts import disseminated
from . import sqlite_sets
from .base import RecordNotFound, WriteResult, json_text


def many(db: sqlite3.Connection, sql: str, rows: Sequence[Sequence[object]]) -> None:
    """executemany, skipped when there are no rows: an empty one still prepares its statement (~3 us a call)."""
    # A single put's created record has no old rows to delete nor claims to record: ~15 us of its ~600.
    if rows:
        db.executemany(sql, rows)


def write_rendered(db: sqlite3.Connection, key: str, rendered: dict[str, str]) -> None:
    db.execute("DELETE FROM rendered WHERE key = ?", (key,))
    db.executemany("INSERT INTO rendered VALUES (?,?,?)", [(key, p, x) for p, x in rendered.items()])


def write_changed(db: sqlite3.Connection, key: str, old: dict[str, str], rendered: dict[str, str]) -> None:
    """Make a record's stored renderings `rendered`, writing only the formats that differ from `old`."""
    # A reindex after a release mostly changes one or two formats of each record: rewriting all of
    # them (tens of kB a record) was most of what the reindex's writing process spent.
    gone = [(key, prefix) for prefix in old if prefix not in rendered]
    if gone:
        db.executemany("DELETE FROM rendered WHERE key = ? AND prefix = ?", gone)
    changed = [(key, prefix, xml) for prefix, xml in rendered.items() if old.get(prefix) != xml]
    if changed:
        db.executemany("INSERT OR REPLACE INTO rendered VALUES (?,?,?)", changed)


def rerender(
    db: sqlite3.Connection,
    key: str,
    rendered: dict[str, str],
    sets: tuple[str, ...],
    search: str | None,
    stamp: Callable[[str | None], str],
) -> WriteResult:
    """Write a stored record's new renderings; its datestamp moves only when what harvesters see changed."""
    row = db.execute("SELECT datestamp, deleted, sets FROM records WHERE key = ?", (key,)).fetchone()
    if row is None:
        raise RecordNotFound(key)
    if search is not None:  # the FTS trigger fires only when the text really changes
        db.execute("UPDATE records SET search = ? WHERE key = ? AND search != ?", (search, key, search))
    if row["deleted"]:
        return WriteResult(key, "unchanged", row["datestamp"])
    old = {r["prefix"]: r["xml"] for r in db.execute("SELECT prefix, xml FROM rendered WHERE key = ?", (key,))}
    if disseminated(old) == disseminated(rendered) and tuple(json.loads(row["sets"])) == sets:
        if old != rendered:  # only the page parts changed: harvesters see nothing new
            write_changed(db, key, old, rendered)
        return WriteResult(key, "unchanged", row["datestamp"])
    now = stamp(row["datestamp"])
    db.execute("UPDATE records SET datestamp = ?, sets = ? WHERE key = ?", (now, json_text(list(sets)), key))
    write_changed(db, key, old, rendered)
    sqlite_sets.write(db, key, now, row)
    return WriteResult(key, "updated", now)
