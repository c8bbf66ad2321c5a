"""SQLite WAL checkpoints run in a background thread: no record write waits for their disk flushes."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from conftest import v4_document

from catalogue_core.record_writer import RecordWriter
from catalogue_core.store.sqlite import SQLiteRepository


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[SQLiteRepository]:
    store = SQLiteRepository(tmp_path / "store.sqlite")
    yield store
    store.close()


def _wait_for(condition: object, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the background checkpoint never ran"
        time.sleep(0.02)


def test_the_store_connections_never_checkpoint_inside_a_commit(repo: SQLiteRepository) -> None:
    assert repo._db().execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0


def test_writes_are_copied_from_the_wal_into_the_file_by_the_background_thread(
    repo: SQLiteRepository, tmp_path: Path
) -> None:
    writer = RecordWriter(repo)
    size_before = os.path.getsize(tmp_path / "store.sqlite")
    for i in range(30):
        writer.publish(v4_document(f"10.1234/ckpt-{i}"))
    _wait_for(lambda: repo._checkpoints.runs > 0)
    # The records reached the database file itself (a checkpoint copied their pages there).
    assert os.path.getsize(tmp_path / "store.sqlite") > size_before
    with closing(sqlite3.connect(tmp_path / "store.sqlite")) as other:
        busy, in_wal, copied = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and copied == in_wal


def test_a_write_past_sqlites_automatic_checkpoint_size_leaves_the_copying_to_the_thread(
    repo: SQLiteRepository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repo._checkpoints, "committed", lambda: None)  # no thread: only the writes themselves
    writer = RecordWriter(repo)
    size_before = os.path.getsize(tmp_path / "store.sqlite")
    for i in range(120):
        writer.publish(v4_document(f"10.1234/quiet-{i}"))
    page = repo._db().execute("PRAGMA page_size").fetchone()[0]
    assert os.path.getsize(tmp_path / "store.sqlite-wal") > 1000 * page  # SQLite would have checkpointed
    assert os.path.getsize(tmp_path / "store.sqlite") == size_before  # nothing was copied into the file


def test_closing_the_store_stops_its_checkpoint_thread(tmp_path: Path) -> None:
    store = SQLiteRepository(tmp_path / "store.sqlite")
    RecordWriter(store).publish(v4_document("10.1234/close"))
    thread = store._checkpoints._thread
    assert thread is not None and thread.is_alive()
    store.close()
    assert not thread.is_alive()


def test_a_fork_waits_until_the_checkpoint_thread_is_out_of_sqlite(tmp_path: Path) -> None:
    import threading
    import warnings

    from catalogue_core.store.sqlite_checkpoint import Checkpointer

    inside, leave, forked = threading.Event(), threading.Event(), threading.Event()

    def in_sqlite() -> None:  # the fold, standing for any SQLite call of the thread
        inside.set()
        leave.wait(30)

    checkpoints = Checkpointer(lambda: sqlite3.connect(tmp_path / "x.sqlite"), interval=0.01, before=in_sqlite)
    checkpoints.committed()
    assert inside.wait(20)

    def fork() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # forking with threads: what this test is about
            child = os.fork()
        if child == 0:
            os._exit(0)
        forked.set()
        os.waitpid(child, 0)

    forking = threading.Thread(target=fork)
    forking.start()
    try:
        assert not forked.wait(0.5)  # the fork waits while the thread is inside SQLite
    finally:
        leave.set()
    assert forked.wait(20)  # and goes ahead as soon as it is out
    forking.join()
    checkpoints.close()
