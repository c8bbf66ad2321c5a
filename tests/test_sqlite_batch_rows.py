"""SQLite batch writes: renderings and set notes many rows a statement, set rows folded from the harvest index."""
# ruff: noqa: F811 - `clock` is the contract suite's fixture, imported so pytest finds it here

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from test_store_contract import Clock, clock, entry  # noqa: F401
from test_store_counts import assert_counts_exact

from catalogue_core.store import ListQuery, sqlite_multirow
from catalogue_core.store.base import format_datestamp
from catalogue_core.store.sqlite import SQLiteRepository


def _batch(repo: SQLiteRepository, n: int) -> list:
    years = (2019, 2020, 2021)
    return [entry(repo, i, f"Title {i}", year=years[i % 3], rtype=("raw", "derived")[i % 2]) for i in range(n)]


def test_a_batch_over_several_statement_sizes_keeps_every_rendering_of_every_record(
    tmp_path: Path, clock: Clock
) -> None:
    repo = SQLiteRepository(tmp_path / "store.sqlite")
    try:
        entries = _batch(repo, sqlite_multirow.ROWS // 2 + 7)  # ~5 renderings each: several statements
        assert len(entries) * len(entries[0].rendered) > 2 * sqlite_multirow.ROWS
        assert {r.outcome for r in repo.put(entries)} == {"created"}
        for e in entries:
            got = repo.get(e.key)
            assert got is not None and got.rendered == e.rendered
    finally:
        repo.close()


def test_set_rows_folded_from_a_batch_list_each_record_under_each_of_its_sets(tmp_path: Path, clock: Clock) -> None:
    repo = SQLiteRepository(tmp_path / "store.sqlite")
    try:
        entries = _batch(repo, sqlite_multirow.ROWS + 9)
        repo.put(entries[:50])
        clock.now += 5
        repo.put(entries[50:])
        repo._catch_up_search()  # folds the pending set rows into record_sets
        db = repo._db()
        assert db.execute("SELECT count(*) FROM sets_pending").fetchone()[0] == 0
        folded = {tuple(row) for row in db.execute("SELECT spec, datestamp, key FROM record_sets")}
        stamps = {r.key: r.datestamp for r in repo.list_keys(None, 1000)}
        assert folded == {(spec, stamps[e.key], e.key) for e in entries for spec in e.sets}
        for spec in {spec for e in entries for spec in e.sets}:
            listed = [r.key for r in repo.list_records(ListQuery(set_spec=spec), None, 1000)]
            assert sorted(listed) == sorted(e.key for e in entries if spec in e.sets)
        assert_counts_exact(repo)
    finally:
        repo.close()


def test_multirow_insert_returns_what_one_statement_a_row_would_in_order(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "t.sqlite")
    try:
        db.execute("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)")
        for n in (0, 1, 37, sqlite_multirow.ROWS, 2 * sqlite_multirow.ROWS + 5):
            db.execute("DELETE FROM t")
            rows = [(i, f"row {i}") for i in range(n)]
            returned = sqlite_multirow.insert(db, "INSERT INTO t", "(?,?)", rows, " RETURNING a")
            assert [a for (a,) in returned] == list(range(n))
            assert db.execute("SELECT a, b FROM t ORDER BY a").fetchall() == rows
    finally:
        db.close()


def test_datestamps_are_the_utc_second_of_the_time_whatever_was_formatted_before() -> None:
    for epoch in (0.0, 1_700_000_000.0, 1_700_000_000.9, 1_700_000_001.2, 1_700_000_000.5, 4_102_444_799.99):
        expected = datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert format_datestamp(epoch) == expected
    assert format_datestamp(1_700_000_000.9) < format_datestamp(1_700_000_001.0)
