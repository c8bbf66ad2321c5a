"""SQLite writes commit as few times as the harvest watermark allows: the in-flight marker goes in the write."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import v4_document

from catalogue_core.record_writer import RecordWriter
from catalogue_core.scicat import from_scicat
from catalogue_core.store.sqlite import SQLiteRepository


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[SQLiteRepository]:
    store = SQLiteRepository(tmp_path / "store.sqlite")
    yield store
    store.close()


def _commits(repo: SQLiteRepository) -> list[str]:
    """Record the COMMITs this thread's connection runs from now on."""
    seen: list[str] = []
    repo._db().set_trace_callback(lambda sql: seen.append(sql) if sql == "COMMIT" else None)
    return seen


def _markers(repo: SQLiteRepository) -> int:
    return repo._read("SELECT count(*) FROM inflight")[0][0]


def test_a_put_commits_its_marker_then_the_record_with_the_marker_deleted(repo: SQLiteRepository) -> None:
    writer = RecordWriter(repo)
    commits = _commits(repo)
    assert writer.publish(v4_document("10.1234/one")).outcome == "created"
    assert len(commits) == 2 and _markers(repo) == 0


def test_a_reindex_page_is_two_commits_however_many_records_it_holds(repo: SQLiteRepository) -> None:
    writer = RecordWriter(repo)
    writer.publish_many([from_scicat(v4_document(f"10.1234/r{i}")) for i in range(20)])
    commits = _commits(repo)
    results = writer.reindex_many([f"10.1234/r{i}" for i in range(20)])
    assert [r.outcome for r in results] == ["unchanged"] * 20
    assert len(commits) == 2 and _markers(repo) == 0


def test_an_outer_write_in_flight_keeps_its_marker_while_a_nested_write_commits(repo: SQLiteRepository) -> None:
    with repo._inflight():
        RecordWriter(repo).publish(v4_document("10.1234/inner"))
        assert _markers(repo) == 1  # the outer one: it still holds back the harvest watermark
    assert _markers(repo) == 0
