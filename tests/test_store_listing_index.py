"""An OAI list page on SQLite reads its record summaries from one covering index, never the large rows."""

from __future__ import annotations

from pathlib import Path

from catalogue_core.store import ListQuery
from catalogue_core.store.sqlite import SQLiteRepository


def _plans(repo: SQLiteRepository, query: ListQuery) -> list[str]:
    db = repo._db()
    statements: list[str] = []
    db.set_trace_callback(statements.append)
    repo.list_records(query, ("2020-01-01T00:00:00Z", "10.1/a"), 101, "oai_dc")
    db.set_trace_callback(None)
    listing = [s for s in statements if "ORDER BY" in s]
    return [" ".join(str(row[-1]) for row in db.execute("EXPLAIN QUERY PLAN " + s)) for s in listing]


def test_a_list_page_is_a_covering_index_scan_with_no_sort(tmp_path: Path) -> None:
    repo = SQLiteRepository(tmp_path / "plan.sqlite")
    for query in (ListQuery(), ListQuery(from_="2020-01-01T00:00:00Z", until="2030-01-01T00:00:00Z")):
        [plan] = _plans(repo, query)
        assert "SEARCH r USING COVERING INDEX records_harvest" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
    repo.close()


def test_an_existing_store_gets_the_covering_index_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    SQLiteRepository(path).close()
    old = SQLiteRepository(path)
    old._db().executescript(
        "DROP INDEX records_harvest; CREATE INDEX records_datestamp ON records (datestamp, key);"
        "CREATE INDEX records_listing ON records (datestamp, key, doi, created, deleted, content_hash, sets, reason);"
    )
    old.close()
    repo = SQLiteRepository(path)
    names = {row[0] for row in repo._db().execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    # The covering index carries the status too (harvests list registered records only).
    assert "records_harvest" in names and not names & {"records_listing", "records_datestamp"}
    repo.close()
