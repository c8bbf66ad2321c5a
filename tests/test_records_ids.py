"""Schema version 8 on SQLite: the records rows' ids are a column, so a dump and reload or a VACUUM keeps them."""
# ruff: noqa: F811 - `clock` is the contract suite's fixture, imported so pytest finds it here

from __future__ import annotations

import dataclasses
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_migrate_search_index import _index_is_exact, _titled
from test_rendered_by_rowid import _answers
from test_store_contract import Clock, clock, entry  # noqa: F401
from test_store_counts import assert_counts_exact

from catalogue_core.store import schema
from catalogue_core.store.sqlite import SQLiteRepository
from catalogue_core.store.sqlite_layout import COLUMNS, RECORDS

# One word per record, in its title only: a search for it must find that record and no other.
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett", "kilo", "lima"]

# What schema version 7 (f2bfc3f) made of the records table: these columns, keyed by `key`, the rowid implicit
# (the triggers and indexes are this release's, which a reopened file gets again). The rowids are kept.
V7_TABLE = RECORDS.replace("IF NOT EXISTS ", "").replace(
    "id INTEGER PRIMARY KEY,\n    key TEXT UNIQUE NOT NULL", "key TEXT PRIMARY KEY"
)
V7_RECORDS = f"""
ALTER TABLE records RENAME TO records_v8;
{V7_TABLE};
INSERT INTO records (rowid, {COLUMNS}) SELECT id, {COLUMNS} FROM records_v8;
DROP TABLE records_v8;
INSERT OR REPLACE INTO meta VALUES ('schema_version', '7');
"""


def _filled(path: Path, clock: Clock) -> None:
    """Fill a store with records, some written again (new rows: the rowids have gaps), some withdrawn."""
    repo = SQLiteRepository(path)
    try:
        for n, word in enumerate(WORDS):
            clock.now += 3
            repo.put([_titled(repo, n, word)])
        for n in (0, 4, 7):  # a changed record's row is replaced: it gets the next rowid, its old one is a gap
            clock.now += 3
            repo.put([dataclasses.replace(_titled(repo, n, WORDS[n]), content_hash=f"again-{n}")])
        repo.put([dataclasses.replace(_titled(repo, n, WORDS[n]), content_hash=f"batch-{n}") for n in (2, 9)])
        repo.withdraw(entry(repo, 5).key)
        repo.withdraw(entry(repo, 7).key)
        assert _has_gaps(repo)
    finally:
        repo.close()


def _has_gaps(repo: SQLiteRepository) -> bool:
    count, highest = repo._db().execute("SELECT count(*), max(rowid) FROM records").fetchone()
    return bool(highest > count)


def _everything(path: Path) -> list[Any]:
    """Every read of every record: renderings of each format and page part, and each word's search hits."""
    repo = SQLiteRepository(path)
    try:
        found = [(word, [r.key for r in repo.browse(word, None, 50)]) for word in WORDS]
        return [_answers(repo), found, [repo.get(k.key) for k in repo.list_keys(None, 100)]]
    finally:
        repo.close()


def _ids(path: Path) -> dict[str, int]:
    db = sqlite3.connect(path)
    try:
        return dict(db.execute("SELECT key, rowid FROM records"))
    finally:
        db.close()


def _layout(path: Path) -> list[tuple[str, str, str, str | None]]:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
    finally:
        db.close()


def _reloaded(source: Path, target: Path) -> None:
    """Copy a file through Python's `iterdump()` into a new one (the rows in the dump's order, renumbered if no id)."""
    db = sqlite3.connect(source)
    # Not the full-text index's own rows: iterdump (3.13) writes them too, which no reload can run, before
    # the index's module is loaded (CPython gh-153729; the sqlite3 shell's .dump leaves them out). Its shadow
    # tables, which hold the index, are dumped in full.
    dump = [line for line in db.iterdump() if not line.startswith('INSERT INTO "records_fts" VALUES')]
    db.close()
    db = sqlite3.connect(target)
    db.executescript("\n".join(dump))
    db.close()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[Path]:
    path = tmp_path / "store.sqlite"
    _filled(path, clock)
    yield path


def test_a_store_dumped_by_python_and_reloaded_gives_every_record_its_own_renderings_and_hits(
    store: Path, tmp_path: Path
) -> None:
    before, ids = _everything(store), _ids(store)
    copy = tmp_path / "reloaded.sqlite"
    _reloaded(store, copy)
    assert _everything(copy) == before
    assert _ids(copy) == ids


def test_a_store_dumped_by_the_sqlite3_shell_and_reloaded_gives_every_record_its_own_renderings_and_hits(
    store: Path, tmp_path: Path
) -> None:
    before, ids = _everything(store), _ids(store)
    dump = subprocess.run(["sqlite3", str(store), ".dump"], capture_output=True, check=True).stdout
    copy = tmp_path / "reloaded.sqlite"
    subprocess.run(["sqlite3", str(copy)], input=dump, capture_output=True, check=True)
    assert _everything(copy) == before
    assert _ids(copy) == ids


def test_a_vacuumed_store_gives_every_record_its_own_renderings_and_hits(store: Path, tmp_path: Path) -> None:
    before, ids = _everything(store), _ids(store)
    db = sqlite3.connect(store)
    db.execute("VACUUM")
    db.execute("VACUUM INTO ?", (str(tmp_path / "copy.sqlite"),))
    db.close()
    for path in (store, tmp_path / "copy.sqlite"):
        assert _everything(path) == before
        assert _ids(path) == ids


def test_a_reloaded_store_takes_new_writes_under_new_ids(store: Path, tmp_path: Path, clock: Clock) -> None:
    copy = tmp_path / "reloaded.sqlite"
    _reloaded(store, copy)
    repo = SQLiteRepository(copy)
    try:
        clock.now += 3
        again = dataclasses.replace(_titled(repo, 1, "bravo"), content_hash="after-reload")
        repo.put([again, _titled(repo, 20, "mike")])
        assert repo.get(again.key).rendered == again.rendered  # type: ignore[union-attr]
        assert [r.key for r in repo.browse("mike", None, 5)] == [entry(repo, 20).key]
        assert [r.key for r in repo.browse("bravo", None, 5)] == [again.key]
        _index_is_exact(repo)
        assert_counts_exact(repo)
    finally:
        repo.close()


def test_migrate_gives_a_version_7_files_records_their_rowids_as_ids_and_a_new_stores_layout(
    store: Path, tmp_path: Path, clock: Clock
) -> None:
    before, ids = _everything(store), _ids(store)
    old = sqlite3.connect(store)
    old.executescript(V7_RECORDS)  # the file as version 7 left it
    old.close()
    repo = SQLiteRepository(store)  # opened as a release's `dmzpub migrate` opens it: the triggers are back
    try:
        assert "id" not in {row[1] for row in repo._db().execute("PRAGMA table_info(records)")}
        assert repo.schema_version() == 7 and _ids(store) == ids
        assert schema.migrate(repo, report=lambda _: None) == 1
        assert repo.schema_version() == schema.SCHEMA_VERSION == 8
        assert schema.migrate(repo, report=lambda _: None) == 0  # done once
    finally:
        repo.close()
    new = tmp_path / "new.sqlite"
    SQLiteRepository(new).close()
    assert _layout(store) == _layout(new)
    db = sqlite3.connect(store)
    assert dict(db.execute("SELECT key, id FROM records")) == ids
    db.close()
    assert _everything(store) == before
    repo = SQLiteRepository(store)
    try:
        _index_is_exact(repo)
        assert_counts_exact(repo)
        clock.now += 3
        repo.put([dataclasses.replace(_titled(repo, 3, "delta"), content_hash="after-migrate")])
        assert repo._db().execute("SELECT id FROM records WHERE key = ?", (entry(repo, 3).key,)).fetchone()[0] > max(
            ids.values()
        )
        assert [r.key for r in repo.browse("delta", None, 5)] == [entry(repo, 3).key]
    finally:
        repo.close()
