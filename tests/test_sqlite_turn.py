"""SQLite writers take turns through a file lock beside the store: a writer waits its turn, then writes."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import v4_document

from catalogue_core.errors import StoreUnavailable
from catalogue_core.record_writer import RecordWriter
from catalogue_core.store import sqlite_turn
from catalogue_core.store.sqlite import SQLiteRepository


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[SQLiteRepository]:
    store = SQLiteRepository(tmp_path / "store.sqlite")
    yield store
    store.close()


@pytest.fixture
def turn_taken(tmp_path: Path) -> Iterator[int]:
    """Hold the store's turn as another writer process would (an open file of its own)."""
    fd = os.open(tmp_path / "store.sqlite-writer", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    yield fd
    os.close(fd)


def test_a_write_waits_while_another_writer_has_the_turn_then_goes_through(
    repo: SQLiteRepository, turn_taken: int
) -> None:
    outcome: list[str] = []
    writing = threading.Thread(
        target=lambda: outcome.append(RecordWriter(repo).publish(v4_document("10.1234/turn-t")).outcome)
    )
    writing.start()
    writing.join(0.5)
    assert writing.is_alive() and repo.get("10.1234/turn-t") is None  # waiting: nothing written yet
    fcntl.flock(turn_taken, fcntl.LOCK_UN)
    writing.join(30)
    assert outcome == ["created"] and repo.get("10.1234/turn-t") is not None


def test_threads_of_one_process_take_turns_too(repo: SQLiteRepository, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_turn, "WAIT", 0.3)
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with repo._write():
            inside.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert inside.wait(30)
        # Its own descriptor of the lock file: it waits for the turn (not let in to wait on SQLite's lock).
        with pytest.raises(StoreUnavailable, match=r"busy for 0\.3 s"):
            RecordWriter(repo).publish(v4_document("10.1234/turn-u"))
    finally:
        release.set()
        holder.join(30)
    assert RecordWriter(repo).publish(v4_document("10.1234/turn-u")).outcome == "created"


def test_a_turn_held_past_the_wait_is_a_store_unavailable_naming_the_store_and_writes_nothing(
    repo: SQLiteRepository, turn_taken: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_turn, "WAIT", 0.2)
    with pytest.raises(StoreUnavailable, match=r"store\.sqlite is not writable: busy for 0\.2 s"):
        RecordWriter(repo).publish(v4_document("10.1234/turn-v"))
    assert repo.get("10.1234/turn-v") is None


def test_a_store_in_memory_writes_without_a_lock_file(tmp_path: Path) -> None:
    store = SQLiteRepository(":memory:")
    try:
        assert RecordWriter(store).publish(v4_document("10.1234/turn-m")).outcome == "created"
    finally:
        store.close()


def _turn_free(path: Path) -> bool:
    """Tell whether nobody holds the store's turn (tried from an open file of its own)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def test_a_bulk_write_renders_and_writes_its_json_before_it_takes_the_write_lock(
    repo: SQLiteRepository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from catalogue_core.scicat import from_scicat
    from catalogue_core.store import sqlite_batch

    writer, lock = RecordWriter(repo), tmp_path / "store.sqlite-writer"
    outside: list[bool] = []  # per step: neither the turn nor SQLite's write transaction held

    def free() -> bool:
        return _turn_free(lock) and not repo._db().in_transaction

    render, texts = RecordWriter.rendered, sqlite_batch.record_texts
    monkeypatch.setattr(RecordWriter, "rendered", lambda self, record: outside.append(free()) or render(self, record))
    monkeypatch.setattr(sqlite_batch, "record_texts", lambda entries: outside.append(free()) or texts(entries))
    records = [from_scicat(v4_document(f"10.1234/turn-b{i}")) for i in range(5)]
    assert [r.outcome for r in writer.publish_many(records)] == ["created"] * 5
    assert outside == [True] * 6  # five renderings, then the JSON of the lot
