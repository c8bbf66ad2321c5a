"""Schema version 5 on SQLite: the search index behind the writes, folded in before each search and by a thread."""
# ruff: noqa: F811 - `clock` is the contract suite's fixture, imported so pytest finds it here

from __future__ import annotations

import dataclasses
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_migrate_search_index import WORDS, _found, _index_is_exact, _titled
from test_store_contract import Clock, clock, entry  # noqa: F401

from catalogue_core.store import schema, sqlite_search
from catalogue_core.store.sqlite import SQLiteRepository
from catalogue_core.store.sqlite_turn import WriteTurn

# What schema version 4 (789d1e9) made: triggers that index inside each write, and no pending table.
V4_SEARCH = """
DROP TRIGGER records_search_replace; DROP TRIGGER records_search_insert;
DROP TRIGGER records_search_update; DROP TRIGGER records_search_delete;
DROP TABLE search_pending;
CREATE TRIGGER records_search_replace BEFORE INSERT ON records BEGIN
    INSERT INTO records_fts (records_fts, rowid, search)
        SELECT 'delete', rowid, search FROM records WHERE key = new.key;
END;
CREATE TRIGGER records_search_insert AFTER INSERT ON records BEGIN
    INSERT INTO records_fts (rowid, search) VALUES (new.rowid, new.search);
END;
CREATE TRIGGER records_search_update AFTER UPDATE OF search ON records BEGIN
    INSERT INTO records_fts (records_fts, rowid, search) VALUES ('delete', old.rowid, old.search);
    INSERT INTO records_fts (rowid, search) VALUES (new.rowid, new.search);
END;
CREATE TRIGGER records_search_delete AFTER DELETE ON records BEGIN
    INSERT INTO records_fts (records_fts, rowid, search) VALUES ('delete', old.rowid, old.search);
END;
INSERT OR REPLACE INTO meta VALUES ('schema_version', '4');
"""


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[SQLiteRepository]:
    store = SQLiteRepository(tmp_path / "store.sqlite")
    store._checkpoints.committed = lambda: None  # type: ignore[method-assign]  # no background fold
    yield store
    store.close()


def _pending(repo: SQLiteRepository) -> int:
    return int(repo._db().execute("SELECT count(*) FROM search_pending").fetchone()[0])


def _in_index(repo: SQLiteRepository, word: str) -> int:
    """Count the rows the index itself holds for a word (no search: nothing folded first)."""
    return int(repo._db().execute("SELECT count(*) FROM records_fts WHERE records_fts MATCH ?", (word,)).fetchone()[0])


def _keys(repo: SQLiteRepository, text: str) -> list[str]:
    return sorted(r.key for r in repo.browse(text, None, 50))


def test_a_write_leaves_the_index_alone_and_the_next_search_finds_it(repo: SQLiteRepository, clock: Clock) -> None:
    repo.put([_titled(repo, 1, "alpha"), _titled(repo, 2, "bravo")])
    assert _pending(repo) == 2
    assert _keys(repo, "alpha") == [entry(repo, 1).key]
    assert _pending(repo) == 0
    _index_is_exact(repo)


def test_a_search_in_another_process_sees_every_committed_write(tmp_path: Path, clock: Clock) -> None:
    writer = SQLiteRepository(tmp_path / "store.sqlite")
    reader = SQLiteRepository(tmp_path / "store.sqlite")  # a second gunicorn worker: its own connections
    try:
        writer._checkpoints.committed = lambda: None  # type: ignore[method-assign]
        for n in range(5):
            writer.put([_titled(writer, n, WORDS[n])])
            assert _keys(reader, WORDS[n]) == [entry(writer, n).key]
    finally:
        writer.close()
        reader.close()


def test_a_listing_without_search_words_folds_nothing(repo: SQLiteRepository, clock: Clock) -> None:
    repo.put([_titled(repo, 1, "alpha")])
    assert [r.key for r in repo.browse(None, None, 5)] == [entry(repo, 1).key]
    assert [r.key for r in repo.browse("  ", None, 5)] == [entry(repo, 1).key]
    assert _pending(repo) == 1


def test_replacing_and_rerendering_before_a_fold_leaves_only_the_last_text(
    repo: SQLiteRepository, clock: Clock
) -> None:
    first = [_titled(repo, n, WORDS[n]) for n in range(4)]
    repo.put(first)
    assert _keys(repo, "alpha") == [first[0].key]  # folded: the index holds the first texts
    clock.now += 10
    repo.put([dataclasses.replace(_titled(repo, 0, "kilo"), content_hash="2")])  # a new rowid
    clock.now += 10
    repo.put([dataclasses.replace(_titled(repo, 0, "lima"), content_hash="3")])  # and another
    repo.update_rendered(first[1].key, first[1].rendered, ("moved:here",), "mike one")
    repo.update_rendered(first[1].key, first[1].rendered, ("moved:here",), "november two")
    held = repo.get(first[2].key)
    assert held is not None
    repo.restore([(held, "oscar restored")])
    _index_is_exact(repo)
    assert _found(repo)["alpha"] == [] and _keys(repo, "kilo") == [] and _keys(repo, "lima") == [first[0].key]
    assert _keys(repo, "mike") == [] and _keys(repo, "november") == [first[1].key]
    assert _keys(repo, "charlie") == [] and _keys(repo, "oscar") == [first[2].key]
    assert _keys(repo, "delta") == [first[3].key]


def test_a_row_deleted_and_its_rowid_taken_again_before_a_fold_is_indexed_by_its_new_text(
    repo: SQLiteRepository, clock: Clock
) -> None:
    repo.put([_titled(repo, n, WORDS[n]) for n in range(3)])
    repo._catch_up_search()
    db = repo._db()  # no store write deletes a records row: an operator's sqlite3 shell might
    rowid = db.execute("SELECT max(rowid) FROM records").fetchone()[0]
    db.execute("DELETE FROM records WHERE rowid = ?", (rowid,))
    repo.put([_titled(repo, 7, "hotel")])
    assert db.execute("SELECT max(rowid) FROM records").fetchone()[0] == rowid  # SQLite reuses the largest
    repo._catch_up_search()
    db.execute("INSERT INTO records_fts (records_fts, rank) VALUES ('integrity-check', 1)")
    assert _keys(repo, "charlie") == [] and _keys(repo, "hotel") == [entry(repo, 7).key]


def test_the_background_thread_folds_the_pending_writes(tmp_path: Path, clock: Clock) -> None:
    repo = SQLiteRepository(tmp_path / "store.sqlite")
    try:
        repo.put([_titled(repo, n, WORDS[n]) for n in range(4)])
        _wait_for(lambda: not _pending(repo), "the background thread never folded the pending writes")
        assert _in_index(repo, "bravo") == 1  # folded, not searched
        _index_is_exact(repo)
    finally:
        repo.close()


def test_a_write_folds_the_pending_notes_once_there_are_many(
    repo: SQLiteRepository, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_search, "MANY", 3)
    monkeypatch.setattr(sqlite_search, "CHECK", 0)  # every write looks
    repo.put([_titled(repo, 0, WORDS[0])])
    repo.put([_titled(repo, 1, WORDS[1])])
    assert _pending(repo) == 2
    repo.put([_titled(repo, 2, WORDS[2])])
    assert _pending(repo) == 0 and _in_index(repo, WORDS[2]) == 1


def _wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_a_busy_write_turn_holds_up_the_background_fold_but_not_the_checkpoint(tmp_path: Path, clock: Clock) -> None:
    repo = SQLiteRepository(tmp_path / "store.sqlite")
    try:
        repo.put([_titled(repo, 0, WORDS[0])])
        with WriteTurn(str(tmp_path / "store.sqlite")).held():  # another process's long write
            _wait_for(lambda: repo._checkpoints.runs > 0, "the checkpoint waited for the fold")
            assert _pending(repo) == 1
        _wait_for(lambda: not _pending(repo), "the background thread never folded the pending writes")
    finally:
        repo.close()


def test_writes_left_pending_by_a_stopped_process_are_folded_when_the_store_opens(tmp_path: Path, clock: Clock) -> None:
    stopped = SQLiteRepository(tmp_path / "store.sqlite")
    stopped._checkpoints.committed = lambda: None  # type: ignore[method-assign]
    stopped.put([_titled(stopped, n, WORDS[n]) for n in range(4)])
    assert _pending(stopped) == 4 and _in_index(stopped, "delta") == 0
    stopped.close()
    reopened = SQLiteRepository(tmp_path / "store.sqlite")
    try:
        assert _pending(reopened) == 0 and _in_index(reopened, "delta") == 1
        _index_is_exact(reopened)
    finally:
        reopened.close()


def test_a_version_4_file_keeps_indexing_in_each_write_until_migrate_defers_it(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "store.sqlite"
    repo = SQLiteRepository(path)
    repo.put([_titled(repo, n, WORDS[n % len(WORDS)]) for n in range(12)])
    repo._catch_up_search()
    repo.close()
    old = sqlite3.connect(path)
    old.executescript(V4_SEARCH)
    old.close()

    repo = SQLiteRepository(path)
    try:
        repo._checkpoints.committed = lambda: None  # type: ignore[method-assign]
        assert repo.schema_version() == 4
        clock.now += 10
        repo.put([_titled(repo, 20, "india"), dataclasses.replace(_titled(repo, 1, "juliett"), content_hash="x")])
        assert _pending(repo) == 0  # version 4's triggers indexed them
        repo._db().execute("INSERT INTO records_fts (records_fts, rank) VALUES ('integrity-check', 1)")
        before = _found(repo)

        assert schema.migrate(repo, report=lambda _: None) == 4  # steps 5 to 8
        assert repo.schema_version() == schema.SCHEMA_VERSION == 8
        triggers = [row[0] for row in repo._db().execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'")]
        search = [sql for sql in triggers if "records_search_" in sql]
        assert len(search) == 4 and all("search_pending" in sql and "records_fts" not in sql for sql in search)
        assert sqlite_search.is_external(
            repo._db().execute("SELECT sql FROM sqlite_master WHERE name = 'records_fts'").fetchone()[0]
        )
        _index_is_exact(repo)
        assert _found(repo) == before
        clock.now += 10
        repo.put([dataclasses.replace(_titled(repo, 2, "kilo"), content_hash="y")])
        assert _pending(repo) == 2  # the replaced row and its new one
        assert _keys(repo, "kilo") == [entry(repo, 2).key] and _keys(repo, "juliett") == [entry(repo, 1).key]
        _index_is_exact(repo)
        assert schema.migrate(repo, report=lambda _: None) == 0
    finally:
        repo.close()
