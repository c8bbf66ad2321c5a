"""Counts per (status, set) kept by every write: exact, read without scanning, rebuilt by migrate."""
# ruff: noqa: F811 - `clock` is the contract suite's fixture, imported so pytest finds it here

from __future__ import annotations

import dataclasses
import itertools
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_store_contract import Clock, clock, entry  # noqa: F401

from catalogue_core.store import Entry, ListQuery, Repository, schema, sqlite_batch
from catalogue_core.store.mongo import MongoRepository
from catalogue_core.store.sqlite import SQLiteRepository

STATUSES = (None, (), ("public",), ("private",), ("registered",), ("public", "private"), ("registered", "private"))


def _changed(e: Entry, tag: str, **changes: object) -> Entry:
    return dataclasses.replace(e, content_hash=f"{e.content_hash}-{tag}", **changes)


def assert_counts_exact(repo: Repository) -> None:
    """Every maintained count equals the count of an index walk, for every set and status filter."""
    specs = [None, *repo.set_specs(), "nonexistent"]
    for spec, statuses in itertools.product(specs, STATUSES):
        query = ListQuery(set_spec=spec, statuses=statuses)
        assert repo.count(query) == repo._scan_count(query), query


def test_counts_stay_exact_through_every_kind_of_write(repo: Repository, clock: Clock) -> None:
    entries = [entry(repo, n, year=2020 + n % 3, rtype=("raw", "derived")[n % 2]) for n in range(12)]
    repo.put(entries)
    assert_counts_exact(repo)
    assert repo.count(ListQuery()) == 12
    clock.now += 10
    repo.put([_changed(entries[0], "private", status="private"), _changed(entries[1], "sets", sets=("only:this",))])
    assert_counts_exact(repo)
    assert repo.count(ListQuery(statuses=("private",))) == 1
    assert repo.count(ListQuery(set_spec="only:this")) == 1
    repo.withdraw(entries[2].key)
    repo.withdraw(entries[0].key)  # a tombstone keeps its status and sets: still counted
    assert_counts_exact(repo)
    repo.put([entries[2]])  # back from the dead
    repo.update_rendered(entries[3].key, entries[3].rendered, ("moved", "moved:here"))
    assert_counts_exact(repo)
    assert repo.count(ListQuery(set_spec="moved:here", statuses=(entries[3].status,))) == 1
    assert repo.count(ListQuery()) == 12 and "moved" in repo.set_specs()


def test_restore_counts_records_replaced_and_new(repo: Repository, clock: Clock) -> None:
    repo.put([entry(repo, n) for n in range(3)])
    held = repo.get(entry(repo, 0).key)
    assert held is not None
    private = dataclasses.replace(held, extras={**held.extras, "status": "private"}, sets=("restored",))
    new = dataclasses.replace(held, key="10.1234/rec-new", sets=())
    repo.restore([(private, "search"), (new, "")])
    assert_counts_exact(repo)
    assert repo.count(ListQuery(statuses=("private",))) == 1 and repo.count(ListQuery()) == 4


def test_until_only_counts_the_maintained_total_less_the_newest(repo: Repository, clock: Clock) -> None:
    stamps = []
    for n in range(5):
        clock.now += 100
        stamps.append(repo.put([entry(repo, n)])[0].datestamp)
    for until in stamps:
        query = ListQuery(until=until, statuses=(entry(repo, 0).status,))
        assert repo.count(query) == repo._scan_count(query) == stamps.index(until) + 1
    assert repo.count(ListQuery(until="1999-01-01T00:00:00Z")) == 0


def test_the_generation_moves_with_every_write_and_only_then(repo: Repository, clock: Clock) -> None:
    e = entry(repo, 1)
    seen = [repo.generation()]
    for write in (lambda: repo.put([e]), lambda: repo.withdraw(e.key), lambda: repo.put([e])):
        write()
        assert repo.generation() > seen[-1]
        seen.append(repo.generation())
    repo.put([e])  # unchanged: nothing written
    repo.count(ListQuery())
    assert repo.generation() == seen[-1]


def test_the_generation_moves_with_a_write_from_another_connection(
    repo: Repository, clock: Clock, request: pytest.FixtureRequest
) -> None:
    # Landing pages trust a cached summary while the generation holds: another worker's write must move it.
    if isinstance(repo, SQLiteRepository):
        other: Repository = SQLiteRepository(repo.path)
    else:
        other = MongoRepository(request.getfixturevalue("mongo_uri"))
    try:
        e = entry(repo, 1)
        repo.put([e])
        for write in (lambda: other.put([_changed(e, "other")]), lambda: other.withdraw(e.key)):
            before = repo.generation()
            write()
            assert repo.generation() > before
        before = repo.generation()
        other.count(ListQuery())
        assert repo.generation() == before
    finally:
        other.close()


def test_migrate_recounts_a_store_whose_counts_are_wrong(repo: Repository, clock: Clock) -> None:
    repo.put([entry(repo, n) for n in range(4)])
    if isinstance(repo, SQLiteRepository):
        with repo._write() as db:
            db.execute("UPDATE counts SET n = n + 7")
    else:
        repo.counts.counts.update_many({}, {"$inc": {"n": 7}})  # type: ignore[attr-defined]
    assert repo.count(ListQuery()) == 11
    repo.set_schema_version(2)  # step 3 counts the records (step 4 swaps SQLite's triggers)
    assert schema.migrate(repo, report=lambda _: None) == schema.SCHEMA_VERSION - 2
    assert_counts_exact(repo)
    assert repo.count(ListQuery()) == 4


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[SQLiteRepository]:
    repo = SQLiteRepository(tmp_path / "store.sqlite")
    yield repo
    repo.close()


def test_sqlite_counts_read_no_record_and_no_set_row(lite: SQLiteRepository, clock: Clock) -> None:
    repo = lite
    repo.put([entry(repo, n) for n in range(20)])
    statements: list[str] = []
    repo._db().set_trace_callback(statements.append)
    status = entry(repo, 0).status
    for query in (ListQuery(), ListQuery(statuses=(status,)), ListQuery(set_spec="openaire_data", statuses=())):
        assert repo.count(query) == (20 if query.statuses != () else 0)
    assert repo.set_specs()
    read = " ".join(statements)
    assert "counts" in read and "records" not in read and "record_sets" not in read


def test_sqlite_counts_roll_back_with_a_write_that_fails_midway(
    lite: SQLiteRepository, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = lite
    repo.put([entry(repo, n) for n in range(3)])
    status = (entry(repo, 0).status,)
    before = (repo.count(ListQuery(statuses=status)), repo.generation(), repo.set_specs())

    def crash(*_: object) -> None:
        raise RuntimeError("the process died after the record row was written")

    monkeypatch.setattr(sqlite_batch, "sqlite_write_many", crash)  # the batch's last table, after the records
    with pytest.raises(RuntimeError):
        repo.put([_changed(entry(repo, 0), "x", status="private"), entry(repo, 9)])
    assert (repo.count(ListQuery(statuses=status)), repo.generation(), repo.set_specs()) == before
    assert_counts_exact(repo)


def test_a_sqlite_file_from_before_counts_gets_them_when_opened(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "store.sqlite"
    old = SQLiteRepository(path)
    old.put([entry(old, n) for n in range(5)])
    old.close()
    db = sqlite3.connect(path)  # as a release without counts left it
    db.executescript("DROP TABLE counts; DELETE FROM meta WHERE name = 'counts';")
    db.close()
    repo = SQLiteRepository(path)
    try:
        assert repo.count(ListQuery()) == 5
        assert_counts_exact(repo)
    finally:
        repo.close()
