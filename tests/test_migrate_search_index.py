"""Schema version 4 on SQLite: a search index without its own copy of the text, cheaper count triggers, the upgrade."""
# ruff: noqa: F811 - `clock` is the contract suite's fixture, imported so pytest finds it here

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest
from test_store_contract import Clock, clock, entry  # noqa: F401
from test_store_counts import assert_counts_exact

from catalogue_core.store import ListQuery, schema, sqlite_multirow, sqlite_search
from catalogue_core.store.sqlite import SQLiteRepository

# What schema version 3 (cccf973) made: the index with its own copy of the text, and its triggers.
V3_SEARCH = """
DROP TRIGGER records_search_replace; DROP TRIGGER records_search_insert;
DROP TRIGGER records_search_update; DROP TRIGGER records_search_delete;
DROP TABLE records_fts; DROP TABLE search_pending;
CREATE VIRTUAL TABLE records_fts USING fts5(search, tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER records_fts_replace BEFORE INSERT ON records BEGIN
    DELETE FROM records_fts WHERE rowid IN (SELECT rowid FROM records WHERE key = new.key);
END;
CREATE TRIGGER records_fts_insert AFTER INSERT ON records BEGIN
    INSERT INTO records_fts (rowid, search) VALUES (new.rowid, new.search);
END;
CREATE TRIGGER records_fts_update AFTER UPDATE OF search ON records BEGIN
    DELETE FROM records_fts WHERE rowid = old.rowid;
    INSERT INTO records_fts (rowid, search) VALUES (new.rowid, new.search);
END;
CREATE TRIGGER records_fts_delete AFTER DELETE ON records BEGIN
    DELETE FROM records_fts WHERE rowid = old.rowid;
END;
INSERT INTO records_fts (rowid, search) SELECT rowid, search FROM records;
DROP TRIGGER records_counts_replace; DROP TRIGGER records_counts_insert; DROP TRIGGER records_counts_move;
CREATE TRIGGER records_counts_replace BEFORE INSERT ON records BEGIN
    UPDATE counts SET n = n - 1 WHERE (status, spec) IN (
        SELECT status, '' FROM records WHERE key = new.key
        UNION SELECT r.status, j.value FROM records r, json_each(r.sets) j WHERE r.key = new.key);
END;
CREATE TRIGGER records_counts_insert AFTER INSERT ON records BEGIN
    INSERT INTO counts SELECT new.status, '', 1 UNION SELECT new.status, value, 1 FROM json_each(new.sets)
        WHERE true ON CONFLICT DO UPDATE SET n = n + 1;
    UPDATE meta SET value = value + 1 WHERE name = 'generation';
END;
CREATE TRIGGER records_counts_move AFTER UPDATE OF status, sets ON records
    WHEN old.status IS NOT new.status OR old.sets IS NOT new.sets BEGIN
    UPDATE counts SET n = n - 1 WHERE (status, spec) IN (
        SELECT old.status, '' UNION SELECT old.status, value FROM json_each(old.sets));
    INSERT INTO counts SELECT new.status, '', 1 UNION SELECT new.status, value, 1 FROM json_each(new.sets)
        WHERE true ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE INDEX record_sets_key ON record_sets (key);
INSERT OR REPLACE INTO meta VALUES ('schema_version', '3');
"""


def _titled(repo: SQLiteRepository, n: int, word: str) -> object:
    return entry(repo, n, title=f"Record {word}", year=2020 + n % 3, rtype=("raw", "derived")[n % 2])


def _fts_sql(repo: SQLiteRepository) -> str:
    return repo._db().execute("SELECT sql FROM sqlite_master WHERE name = 'records_fts'").fetchone()[0]


def _index_is_exact(repo: SQLiteRepository) -> None:
    repo._catch_up_search()  # the writes not yet folded in (schema version 5: sqlite_search)
    # FTS5's own check: with rank 1 it compares the index with the text in `records`, row by row.
    repo._db().execute("INSERT INTO records_fts (records_fts, rank) VALUES ('integrity-check', 1)")
    # The set rows are deleted by primary key (no index by key): they must be exactly the records rows' sets.
    rows = set(repo._db().execute("SELECT spec, datestamp, key FROM record_sets"))
    expected = set(repo._db().execute("SELECT j.value, r.datestamp, r.key FROM records r, json_each(r.sets) j"))
    assert {tuple(r) for r in rows} == {tuple(r) for r in expected} and rows


WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]


def _found(repo: SQLiteRepository) -> dict[str, list[str]]:
    return {word: sorted(r.key for r in repo.browse(word, None, 50)) for word in WORDS}


def test_a_version_3_file_keeps_working_and_migrate_upgrades_it(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "store.sqlite"
    repo = SQLiteRepository(path)
    repo.put([_titled(repo, n, WORDS[n % len(WORDS)]) for n in range(24)])
    repo.close()
    old = sqlite3.connect(path)
    old.executescript(V3_SEARCH)
    old.close()

    repo = SQLiteRepository(path)  # this release opens a version 3 file: it keeps that layout until migrate
    try:
        assert "content" not in _fts_sql(repo) and repo.schema_version() == 3
        clock.now += 10
        repo.put([_titled(repo, 30, "india"), dataclasses.replace(_titled(repo, 1, "juliett"), content_hash="x")])
        repo.withdraw(entry(repo, 2).key)
        repo._db().execute("INSERT INTO record_sets VALUES ('stray', '2001-01-01T00:00:00Z', 'no-such-key')")
        assert_counts_exact(repo)
        before_found, before_count = _found(repo), repo.count(ListQuery())
        held = {k.key: repo.get(k.key) for k in repo.list_keys(None, 100)}
        assert [r.key for r in repo.browse("juliett", None, 5)] == [entry(repo, 1).key]

        assert schema.migrate(repo, report=lambda _: None) == 5  # steps 4 to 8
        assert repo.schema_version() == schema.SCHEMA_VERSION == 8
        assert sqlite_search.is_external(_fts_sql(repo))
        names = {row[0] for row in repo._db().execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert not names & {"records_fts_replace", "records_fts_insert", "records_fts_update", "records_fts_delete"}
        indexes = {row[0] for row in repo._db().execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "record_sets_key" not in indexes
        _index_is_exact(repo)
        assert_counts_exact(repo)
        assert _found(repo) == before_found and repo.count(ListQuery()) == before_count
        assert {k.key: repo.get(k.key) for k in repo.list_keys(None, 100)} == held
        assert [r.key for r in repo.browse("juliett", None, 5)] == [entry(repo, 1).key]
        assert schema.migrate(repo, report=lambda _: None) == 0  # done once
    finally:
        repo.close()


def test_every_kind_of_write_keeps_the_index_and_the_counts_exact(tmp_path: Path, clock: Clock) -> None:
    repo = SQLiteRepository(tmp_path / "store.sqlite")
    try:
        assert sqlite_search.is_external(_fts_sql(repo))
        entries = [_titled(repo, n, WORDS[n % len(WORDS)]) for n in range(16)]
        repo.put(entries)
        clock.now += 10
        renamed = dataclasses.replace(_titled(repo, 0, "kilo"), content_hash="moved")
        repo.put([renamed])  # INSERT OR REPLACE: the old text leaves the index
        repo.put([entries[3]])  # unchanged: no write
        repo.withdraw(entries[4].key)
        repo.update_rendered(entries[5].key, entries[5].rendered, ("moved:here",), "lima words")
        held = repo.get(entries[6].key)
        assert held is not None
        repo.restore([(dataclasses.replace(held, sets=("restored",)), "mike restored")])
        clock.now += 10
        repo.put([dataclasses.replace(entries[7], content_hash="again", sets=("other",))])  # sets move too
        repo.withdraw(entries[7].key)
        _index_is_exact(repo)
        assert_counts_exact(repo)
        assert [r.key for r in repo.browse("kilo", None, 5)] == [entries[0].key]
        assert entries[0].key not in [r.key for r in repo.browse(WORDS[0], None, 50)]
        assert [r.key for r in repo.browse("lima", None, 5)] == [entries[5].key]
        assert [r.key for r in repo.browse("mike", None, 5)] == [entries[6].key]
        assert entries[6].key not in [r.key for r in repo.browse(WORDS[6], None, 50)]
        assert repo.count(ListQuery(set_spec="restored")) == 1
    finally:
        repo.close()


def test_a_file_from_before_the_search_index_gets_the_new_one_filled(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "store.sqlite"
    repo = SQLiteRepository(path)
    repo.put([_titled(repo, n, WORDS[n]) for n in range(4)])
    repo._db().executescript(
        "DROP TABLE records_fts; DROP TRIGGER records_search_replace; DROP TRIGGER records_search_insert;"
        "DROP TRIGGER records_search_update; DROP TRIGGER records_search_delete;"
    )
    repo.close()
    reopened = SQLiteRepository(path)
    try:
        assert sqlite_search.is_external(_fts_sql(reopened))
        _index_is_exact(reopened)
        assert [r.key for r in reopened.browse("charlie", None, 5)] == [entry(reopened, 2).key]
    finally:
        reopened.close()


@pytest.mark.parametrize("corrupt", ["DELETE FROM records_fts_data WHERE id > 10"])
def test_the_integrity_check_would_see_an_index_out_of_step(tmp_path: Path, clock: Clock, corrupt: str) -> None:
    # Guards the guard: _index_is_exact must fail when the index and the text differ.
    repo = SQLiteRepository(tmp_path / "store.sqlite")
    try:
        repo.put([_titled(repo, n, WORDS[n % len(WORDS)]) for n in range(16)])
        repo._catch_up_search()  # the rows indexed, so that the corruption hits them
        repo._db().execute(corrupt)
        with pytest.raises(sqlite3.DatabaseError):
            _index_is_exact(repo)
    finally:
        repo.close()


def test_a_batch_put_over_several_insert_statements_keeps_every_record(tmp_path: Path, clock: Clock) -> None:
    # sqlite_batch writes up to sqlite_multirow.ROWS records rows per statement: a batch crossing two boundaries.
    repo = SQLiteRepository(tmp_path / "store.sqlite")
    try:
        total = 2 * sqlite_multirow.ROWS + 3
        first = [_titled(repo, n, WORDS[n % len(WORDS)]) for n in range(total)]
        assert {r.outcome for r in repo.put(first)} == {"created"}
        clock.now += 10
        again = [dataclasses.replace(e, content_hash=f"{e.content_hash}-2") for e in first[::2]]
        assert {r.outcome for r in repo.put([*again, _titled(repo, total, "november")])} == {"updated", "created"}
        assert repo.count(ListQuery()) == total + 1 == len(repo.list_keys(None, total + 10))
        assert [(r.key, r.content_hash) for r in map(repo.get, [e.key for e in again])] == [
            (e.key, e.content_hash) for e in again
        ]
        _index_is_exact(repo)
        assert_counts_exact(repo)
        assert len(repo.browse(WORDS[1], None, total)) == len(range(1, total, len(WORDS)))
    finally:
        repo.close()


def test_batch_inserts_use_a_few_statement_sizes_whatever_the_batch() -> None:
    # Each size is a prepared statement cached per connection (hundreds of kB at the largest).
    allowed = {sqlite_multirow.ROWS >> shift for shift in range(sqlite_multirow.ROWS.bit_length())}
    for n in range(0, 3 * sqlite_multirow.ROWS + 2):
        sizes = sqlite_multirow.sizes(n)
        assert sum(sizes) == n and set(sizes) <= allowed
    assert len(allowed) <= 8
