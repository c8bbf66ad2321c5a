"""SQLite: the harvest's list queries, keyset-ordered over an index, from the records or a set's rows."""

from __future__ import annotations

from typing import Any

from . import sqlite_sets
from .entries import ListQuery
from .sqlite_rendered import ID_OF


def where(query: ListQuery, after: tuple[str, str] | None, table: str) -> tuple[str, list[Any]]:
    """Return the WHERE clause (and its arguments) of a list query, on the driving table `table` (`r` or `s`)."""
    clauses, args = [], []
    if query.set_spec is not None:
        clauses.append("s.spec = ?")
        args.append(query.set_spec)
    if query.from_:
        clauses.append(f"{table}.datestamp >= ?")
        args.append(query.from_)
    if query.until:
        clauses.append(f"{table}.datestamp <= ?")
        args.append(query.until)
    if after:
        clauses.append(f"({table}.datestamp, {table}.key) > (?, ?)")
        args.extend(after)
    if query.statuses is not None:
        clauses.append(f"r.status IN ({', '.join('?' * len(query.statuses))})" if query.statuses else "0")
        args.extend(query.statuses)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def list_sql(
    columns: str, query: ListQuery, after: tuple[str, str] | None, limit: int, prefix: str | None
) -> tuple[str, list[Any]]:
    """Return a list page's query of `columns` (of `records r`), with format `prefix`'s rendering as `xml`."""
    # Keyset order over an index: a page costs the same at any depth.
    driver = "s" if query.set_spec is not None else "r"
    clauses, args = where(query, after, driver)
    xml = ", x.xml AS xml" if prefix else ", NULL AS xml"
    join = f" LEFT JOIN rendered x ON x.id = {ID_OF}" if prefix else ""
    args = ([prefix] if prefix else []) + args
    if driver == "s":  # the set rows folded and those pending: sqlite_sets
        select = f"SELECT {columns}{xml}, s.datestamp AS set_datestamp, s.key AS set_key"
        sql, args = sqlite_sets.list_sql(select, join, clauses, args, "ORDER BY set_datestamp, set_key LIMIT ?")
        return sql, [*args, limit]
    sql = f"SELECT {columns}{xml} FROM records r{join}{clauses} ORDER BY r.datestamp, r.key LIMIT ?"
    return sql, [*args, limit]
