"""SQLite writes commit once each: the harvest watermark waits for a write in flight instead of a marker."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import v4_document

from catalogue_core.record_writer import RecordWriter
from catalogue_core.scicat import from_scicat
from catalogue_core.store.base import format_datestamp
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


def test_a_put_commits_once_and_leaves_no_marker(repo: SQLiteRepository) -> None:
    writer = RecordWriter(repo)
    commits = _commits(repo)
    assert writer.publish(v4_document("10.1234/one")).outcome == "created"
    assert len(commits) == 1 and _markers(repo) == 0


def test_a_withdrawal_commits_once(repo: SQLiteRepository) -> None:
    writer = RecordWriter(repo)
    writer.publish(v4_document("10.1234/gone"))
    commits = _commits(repo)
    assert repo.withdraw("10.1234/gone").outcome == "withdrawn"
    assert len(commits) == 1 and _markers(repo) == 0


def test_a_reindex_page_is_one_commit_however_many_records_it_holds(repo: SQLiteRepository) -> None:
    writer = RecordWriter(repo)
    writer.publish_many([from_scicat(v4_document(f"10.1234/r{i}")) for i in range(20)])
    commits = _commits(repo)
    results = writer.reindex_many([f"10.1234/r{i}" for i in range(20)])
    assert [r.outcome for r in results] == ["unchanged"] * 20
    assert len(commits) == 1 and _markers(repo) == 0


def test_a_marker_another_process_registered_still_holds_back_the_watermark(repo: SQLiteRepository) -> None:
    # A worker of an earlier release, during a rolling upgrade, still registers markers.
    started = time.time() - 60
    repo._register_inflight("earlier-release", started)
    assert repo.safe_now() == format_datestamp(started)
    repo._clear_inflight("earlier-release")
    assert repo.safe_now() >= format_datestamp(started + 60)
