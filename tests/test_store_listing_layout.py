"""List pages read each format's documents from their own layout; every write keeps it in step, migrate lays it out."""
# ruff: noqa: F811 - `clock` is the contract suite's fixture, imported so pytest finds it here

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest
from test_store_contract import Clock, clock, entry  # noqa: F401

from catalogue_core.page_parts import PAGE_PARTS
from catalogue_core.store import Entry, ListedRecord, ListQuery, Repository, Rerendered, schema
from catalogue_core.store.sqlite import SQLiteRepository
from catalogue_core.store.sqlite_listing import _SLOT_BITS

PREFIXES = ("oai_dc", "oai_datacite", "datacite", "panosc", "absent_format")


def _changed(e: Entry, tag: str, **changes: object) -> Entry:
    return dataclasses.replace(e, content_hash=f"{e.content_hash}-{tag}", **changes)


def _queries(repo: Repository) -> list[ListQuery]:
    return [ListQuery(), ListQuery(statuses=("public",)), *(ListQuery(set_spec=s) for s in repo.set_specs())]


def _pages(repo: Repository, query: ListQuery, prefix: str, size: int = 3) -> list[ListedRecord]:
    out: list[ListedRecord] = []
    after = None
    while rows := repo.list_page(query, after, size, prefix):
        out += rows
        after = (rows[-1].datestamp, rows[-1].key)
    return out


def _expected(repo: Repository, query: ListQuery, prefix: str) -> list[ListedRecord]:
    """What a list page must hold, from each record read whole by key (not through any list layout)."""
    rows = []
    for summary in repo.list_keys(None, 10_000):
        held = repo.get(summary.key)
        assert held is not None
        if query.set_spec is not None and query.set_spec not in held.sets:
            continue
        if query.statuses is not None and held.extras.get("status", "public") not in query.statuses:
            continue
        rows.append(ListedRecord(held.key, held.datestamp, held.deleted, held.sets, held.rendered.get(prefix)))
    return sorted(rows, key=lambda r: (r.datestamp, r.key))


def assert_lists_match_the_records(repo: Repository) -> None:
    for query in _queries(repo):
        for prefix in PREFIXES:
            assert _pages(repo, query, prefix) == _expected(repo, query, prefix), (query, prefix)


def test_list_pages_hold_each_records_stored_document_through_every_kind_of_write(
    repo: Repository, clock: Clock
) -> None:
    entries = [entry(repo, n, year=2020 + n % 3, rtype=("raw", "derived")[n % 2]) for n in range(10)]
    repo.put(entries)
    assert_lists_match_the_records(repo)
    clock.now += 10
    repo.put([_changed(entries[0], "new"), _changed(entries[1], "sets", sets=("only:this",))])
    repo.withdraw(entries[2].key)
    repo.withdraw(entries[3].key)
    assert_lists_match_the_records(repo)
    clock.now += 10
    repo.put([entries[2]])  # back from the dead
    three = entries[4]
    repo.update_rendered(three.key, {**three.rendered, "oai_dc": three.rendered["oai_dc"] + " "}, three.sets)
    five = entries[5]  # only the page parts change: the datestamp and the listed documents stay
    repo.update_rendered(five.key, {**five.rendered, PAGE_PARTS: "<p>new parts</p>"}, five.sets)
    repo.update_rendered_many(
        [Rerendered(e.key, {p: x for p, x in e.rendered.items() if p != "panosc"}, ("moved",)) for e in entries[6:8]]
    )
    assert_lists_match_the_records(repo)
    held = repo.get(entries[8].key)
    assert held is not None
    restored = dataclasses.replace(held, datestamp="2019-01-01T00:00:00Z", rendered={"oai_dc": "<restored/>"})
    new = dataclasses.replace(held, key="10.1234/rec-new", rendered={**held.rendered, "datacite": "<new/>"})
    repo.restore([(restored, ""), (new, "")])
    assert_lists_match_the_records(repo)
    assert _pages(repo, ListQuery(), "oai_dc")[0] == ListedRecord(
        restored.key, "2019-01-01T00:00:00Z", False, restored.sets, "<restored/>"
    )


def _as_an_older_release_left_it(repo: Repository) -> Repository:
    """Return the store as release 3 left it: SQLite files had no listing tables."""
    repo.set_schema_version(3)
    if not isinstance(repo, SQLiteRepository):
        return repo
    path = repo.path
    repo.close()
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE listing; DROP TABLE listing_slots;")
    db.close()
    return SQLiteRepository(path)


def test_a_store_made_at_version_3_migrates_and_answers_the_same_list_pages(repo: Repository, clock: Clock) -> None:
    entries = [entry(repo, n, year=2020 + n % 3) for n in range(9)]
    for e in entries:  # one write per second, as a store grows
        clock.now += 1
        repo.put([e])
    repo.withdraw(entries[4].key)
    repo.put([_changed(entries[1], "again")])
    before = {(q, p): _pages(repo, q, p) for q in _queries(repo) for p in PREFIXES}
    older = _as_an_older_release_left_it(repo)
    try:
        with pytest.raises(schema.SchemaMismatch):
            schema.check(older)
        assert schema.migrate(older, report=lambda _: None) == schema.SCHEMA_VERSION - 3
        schema.check(older)
        after = {(q, p): _pages(older, q, p) for q in _queries(older) for p in PREFIXES}
        assert after == before
        assert_lists_match_the_records(older)
    finally:
        if older is not repo:
            older.close()


def _slots(repo: SQLiteRepository) -> dict[str, list[tuple[int, str, str]]]:
    rows = repo._db().execute("SELECT prefix, rowid, datestamp, key FROM listing ORDER BY rowid").fetchall()
    out: dict[str, list[tuple[int, str, str]]] = {}
    for prefix, rowid, stamp, key in rows:
        out.setdefault(prefix, []).append((rowid, stamp, key))
    return out


def test_sqlite_keeps_each_formats_rows_together_in_datestamp_order(tmp_path: Path, clock: Clock) -> None:
    repo = SQLiteRepository(tmp_path / "store.sqlite")
    try:
        entries = [entry(repo, n) for n in range(6)]
        for e in entries:
            clock.now += 1
            repo.put([e])
        clock.now += 1
        repo.put([_changed(entries[0], "moved to the end")])
        repo.withdraw(entries[3].key)  # a tombstone lists no document: its rows go
        assert not repo._db().execute("SELECT 1 FROM listing WHERE key = ?", (entries[3].key,)).fetchall()
        for laid_out in (_slots(repo), (repo.rebuild_listing(), _slots(repo))[1]):
            assert set(laid_out) == set(entries[0].rendered) - {PAGE_PARTS}
            slots = {rows[0][0] >> _SLOT_BITS for rows in laid_out.values()}
            assert len(slots) == len(laid_out)  # one slot per format
            for rows in laid_out.values():
                assert {rowid >> _SLOT_BITS for rowid, _, _ in rows} == {rows[0][0] >> _SLOT_BITS}
                assert [(s, k) for _, s, k in rows] == sorted((s, k) for _, s, k in rows)
                assert rows[-1][2] == entries[0].key
    finally:
        repo.close()


def test_a_sqlite_list_page_reads_documents_from_the_listing_not_rendered(tmp_path: Path) -> None:
    repo = SQLiteRepository(tmp_path / "plan.sqlite")
    try:
        sql, args = repo._list_sql("r.key", ListQuery(), ("2020-01-01T00:00:00Z", "10.1/a"), 101, "oai_dc")
        plan = " ".join(str(row[-1]) for row in repo._db().execute("EXPLAIN QUERY PLAN " + sql, args))
        assert "SEARCH x USING INDEX listing_order (prefix=? AND datestamp=? AND key=?)" in plan, plan
        assert "rendered" not in plan and "TEMP B-TREE" not in plan, plan
    finally:
        repo.close()
