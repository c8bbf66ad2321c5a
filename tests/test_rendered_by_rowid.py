"""Schema version 7 on SQLite: renderings keyed by their records row's rowid and the format's slot, no index."""
# ruff: noqa: F811 - `clock` and `repo` are fixtures imported so pytest finds them here

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from test_migrate_search_index import _titled
from test_search_behind_writes import repo  # noqa: F401  # a store with no background fold
from test_store_contract import Clock, clock, entry, harvest  # noqa: F401

from catalogue_core.errors import StoreError
from catalogue_core.store import ListQuery, schema
from catalogue_core.store.sqlite import SQLiteRepository

# What schema version 6 (60710a5) made of the renderings: keyed (key, prefix), with its index.
V6_RENDERED = """
CREATE TABLE rendered_v6 (key TEXT NOT NULL, prefix TEXT NOT NULL, xml TEXT NOT NULL, PRIMARY KEY (key, prefix));
INSERT INTO rendered_v6 SELECT r.key, x.prefix, x.xml FROM records r JOIN rendered x ON x.id / 64 = r.rowid;
DROP TRIGGER records_rendered_delete;
DROP TABLE rendered;
DELETE FROM rendered_slots;
ALTER TABLE rendered_v6 RENAME TO rendered;
INSERT OR REPLACE INTO meta VALUES ('schema_version', '6');
"""


def _rows(repo: SQLiteRepository) -> int:
    return int(repo._db().execute("SELECT count(*) FROM rendered").fetchone()[0])


def _answers(repo: SQLiteRepository) -> list[Any]:
    """What every read of the renderings answers, for every record and format."""
    keys = [r.key for r in repo.list_keys(None, 100)]
    out: list[Any] = [[(k, repo.get(k)) for k in keys], repo.reindex_sources(keys), harvest(repo, ListQuery(), 3)]
    for prefix in ("oai_dc", "datacite", "panosc", "landing_page", "no-such-format"):
        out.append([(r.key, r.rendered) for r in repo.list_records(ListQuery(set_spec="year"), None, 50, prefix)])
        out.append(repo.list_page(ListQuery(), None, 50, prefix))
        out.append([(repo.rendered_part(k, prefix), repo.summary_with_part(k, prefix)) for k in keys])
        out.append([repo.page_read(k, prefix)[1:] for k in keys])
    return out


def test_a_record_written_again_keeps_only_its_new_renderings(repo: SQLiteRepository, clock: Clock) -> None:
    first = _titled(repo, 1, "alpha")
    repo.put([first, _titled(repo, 2, "bravo")])
    held = _rows(repo)
    changed = dict(first.rendered, oai_dc="<changed/>")
    del changed["panosc"]
    repo.put([dataclasses.replace(first, rendered=changed, content_hash="changed")])
    got = repo.get(first.key)
    assert got is not None and got.rendered == changed and _rows(repo) == held - 1
    repo.withdraw(first.key)
    assert repo.get(first.key).rendered == {} and _rows(repo) == held - len(first.rendered)  # type: ignore[union-attr]


def test_renderings_read_in_the_order_of_their_format_names(repo: SQLiteRepository, clock: Clock) -> None:
    e = _titled(repo, 1, "alpha")
    repo.put([e])
    rendered = {"a_format_written_later": "<x/>", **e.rendered}
    repo.update_rendered(e.key, rendered, e.sets)
    got = repo.get(e.key)
    assert got is not None and list(got.rendered) == sorted(rendered) and got.rendered == rendered
    [(source, _)] = repo.reindex_sources([e.key])
    assert list(source.rendered) == sorted(rendered)
    assert repo.rendered_part(e.key, "a_format_written_later") == "<x/>"


def test_a_store_refuses_a_format_past_its_slots_and_keeps_what_it_held(repo: SQLiteRepository, clock: Clock) -> None:
    e = _titled(repo, 1, "alpha")
    repo.put([e])
    many = {**e.rendered, **{f"format{n:02d}": "<x/>" for n in range(64)}}
    with pytest.raises(StoreError, match="64 formats"):
        repo.update_rendered(e.key, many, e.sets)
    assert repo.get(e.key).rendered == e.rendered  # type: ignore[union-attr]


def test_migrate_moves_a_version_6_files_renderings_under_the_records_ids(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "store.sqlite"
    repo = SQLiteRepository(path)
    for n in range(12):
        clock.now += 3
        repo.put([_titled(repo, n, "alpha")])
    repo.put([dataclasses.replace(_titled(repo, 3, "alpha"), content_hash="again")])  # a rowid not in key order
    repo.withdraw(entry(repo, 5).key)
    before, rows = _answers(repo), _rows(repo)
    repo._db().executescript(V6_RENDERED)  # the file as version 6 left it
    repo.close()

    repo = SQLiteRepository(path)  # opened as a release's `dmzpub migrate` opens it
    try:
        assert repo.schema_version() == 6
        assert schema.migrate(repo, report=lambda _: None) == 2  # steps 7 and 8
        assert repo.schema_version() == schema.SCHEMA_VERSION == 8
        names = {row[0] for row in repo._db().execute("SELECT name FROM sqlite_master")}
        assert "rendered_by_key" not in names and "sqlite_autoindex_rendered_1" not in names
        assert "records_rendered_delete" in names
        assert _answers(repo) == before and _rows(repo) == rows
        clock.now += 3
        repo.put([_titled(repo, 20, "bravo")])
        assert repo.get(entry(repo, 20).key).rendered == _titled(repo, 20, "bravo").rendered  # type: ignore[union-attr]
    finally:
        repo.close()
