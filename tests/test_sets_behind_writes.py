"""Schema version 6 on SQLite: set rows behind the writes, noted by each write and folded later, read from both."""
# ruff: noqa: F811 - `clock` and `repo` are fixtures imported so pytest finds them here

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from test_migrate_search_index import _index_is_exact, _titled
from test_search_behind_writes import repo  # noqa: F401  # a store with no background fold
from test_store_contract import Clock, clock, entry, harvest  # noqa: F401

from catalogue_core.store import ListQuery, schema, sqlite_search, sqlite_sets
from catalogue_core.store.sqlite import SQLiteRepository


def _count(repo: SQLiteRepository, table: str) -> int:
    return int(repo._db().execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _fold(repo: SQLiteRepository) -> None:
    with repo._write() as db:
        sqlite_sets.fold(db)


def _queries(repo: SQLiteRepository) -> list[ListQuery]:
    specs = [row[0] for row in repo._db().execute("SELECT DISTINCT j.value FROM records, json_each(sets) j")]
    queries = [ListQuery(set_spec=spec) for spec in [*specs, "no-such-set"]]
    queries += [ListQuery(set_spec=spec, statuses=("public",)) for spec in specs]
    return [*queries, ListQuery(set_spec="year", from_="2023-11-14T22:14:00Z", until="2023-11-14T22:16:00Z")]


def _answers(repo: SQLiteRepository) -> list[Any]:
    """Every set harvest (three page sizes, with and without a format), every list page and count."""
    out: list[Any] = []
    for query in _queries(repo):
        for page in (1, 3, 100):
            out.append([(r.key, r.datestamp, r.deleted, r.sets, r.rendered) for r in harvest(repo, query, page)])
        after = None
        while listed := repo.list_page(query, after, 2, "oai_dc"):
            out.append(listed)
            after = (listed[-1].datestamp, listed[-1].key)
        out.append(repo.count(query))
    return out


def test_a_put_notes_its_record_and_writes_no_set_row_until_folded(repo: SQLiteRepository, clock: Clock) -> None:
    repo.put([_titled(repo, n, "alpha") for n in range(3)])
    assert _count(repo, "sets_pending") == 3 and _count(repo, "record_sets") == 0
    _fold(repo)
    assert _count(repo, "sets_pending") == 0
    _index_is_exact(repo)


def test_harvests_by_set_answer_the_same_before_and_after_the_fold(repo: SQLiteRepository, clock: Clock) -> None:
    for n in range(8):
        clock.now += 7
        repo.put([_titled(repo, n, "alpha")])
    _fold(repo)
    for n in range(8, 12):  # new records, pending
        clock.now += 7
        repo.put([_titled(repo, n, "bravo")])
    clock.now += 7
    moved = [dataclasses.replace(_titled(repo, n, "x"), content_hash=f"new{n}") for n in (1, 9)]
    repo.put([*moved, dataclasses.replace(_titled(repo, 2, "x"), content_hash="c", sets=("year",))])
    clock.now += 7
    repo.withdraw(entry(repo, 3).key)  # folded rows
    repo.withdraw(entry(repo, 10).key)  # pending rows
    repo.update_rendered(entry(repo, 4).key, {"oai_dc": "<changed/>"}, ("type", "year"))
    assert _count(repo, "sets_pending") and _count(repo, "record_sets")
    before = _answers(repo)
    _fold(repo)
    assert _count(repo, "sets_pending") == 0
    assert _answers(repo) == before
    _index_is_exact(repo)


def test_an_update_of_a_pending_record_leaves_one_pending_row(repo: SQLiteRepository, clock: Clock) -> None:
    repo.put([_titled(repo, 1, "alpha")])
    clock.now += 5
    repo.put([dataclasses.replace(_titled(repo, 1, "alpha"), content_hash="changed")])
    clock.now += 5
    repo.withdraw(entry(repo, 1).key)
    assert _count(repo, "sets_pending") == 1
    _index_is_exact(repo)


def test_a_write_folds_the_pending_set_rows_when_many(
    repo: SQLiteRepository, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_sets, "MANY", 3)
    monkeypatch.setattr(sqlite_search, "CHECK", 0)  # every write looks
    for n in range(7):
        repo.put([_titled(repo, n, "alpha")])
        assert _count(repo, "sets_pending") <= 3
    assert _count(repo, "record_sets")
    _index_is_exact(repo)


def test_a_search_folds_the_pending_set_rows_too(repo: SQLiteRepository, clock: Clock) -> None:
    repo.put([_titled(repo, n, "alpha") for n in range(3)])
    assert [r.key for r in repo.browse("alpha", None, 1)]
    assert _count(repo, "sets_pending") == 0 and _count(repo, "record_sets")


def test_migrate_takes_a_version_5_file_to_this_version(repo: SQLiteRepository, clock: Clock) -> None:
    repo.put([_titled(repo, 1, "alpha")])
    repo.set_schema_version(5)
    with pytest.raises(schema.SchemaMismatch, match="schema version 5, this release needs 8"):
        schema.check(repo)
    assert schema.migrate(repo, report=lambda _: None) == 3  # steps 6 to 8
    assert repo.schema_version() == schema.SCHEMA_VERSION == 8
    schema.check(repo)
