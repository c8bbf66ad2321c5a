"""Backups: the whole store moves as JSON Lines between SQLite and MongoDB, every datestamp kept."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CLI, TOKEN, Pusher, v4_document
from flask import Flask

from catalogue_core.store import Repository, StoredRecord, schema
from oai_server import create_app
from oai_server.cli import main

DOIS = [f"10.99999/backup-{i:03d}" for i in range(7)]


def settings(tmp_path: Path, name: str, mongo_uri: str | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "TESTING": True,
        "DMZPUB_DATA_DIR": str(tmp_path / name),
        "DMZPUB_DOWNLOAD_DIR": str(tmp_path / name / "downloads"),
        "DMZPUB_PUSH_TOKENS": TOKEN,
        "DMZPUB_BASE_URL": "https://doi.example.org",
    }
    if mongo_uri:
        config["DMZPUB_MONGO_URI"] = mongo_uri
    return config


@pytest.fixture
def apps(tmp_path: Path, mongo_uri: str) -> Iterator[dict[str, Flask]]:
    """A filled SQLite app, an empty MongoDB app and an empty second SQLite app."""
    made = {
        "sqlite": create_app(settings(tmp_path, "a")),
        "mongo": create_app(settings(tmp_path, "m", mongo_uri)),
        "sqlite2": create_app(settings(tmp_path, "b")),
    }
    yield made
    for app in made.values():
        app.extensions["dmzpub.store"].close()


def everything(repo: Repository) -> list[StoredRecord]:
    out, after = [], None
    while page := repo.list_keys(after, 100):
        out += [repo.get(r.key) for r in page]
        after = page[-1].key
    return out


def fill(app: Flask) -> None:
    pusher = Pusher(app.test_client())
    for i, doi in enumerate(DOIS):
        assert (
            pusher.put(v4_document(doi, f"Backup dataset {i}", subjects=[{"subject": f"topic{i}"}])).status_code == 201
        )
        if i == 2:
            time.sleep(1.1)  # later records get later datestamps than the first ones
    time.sleep(1.1)
    assert pusher.put(v4_document(DOIS[1], "Amended title")).status_code == 200
    assert pusher.withdraw(DOIS[3], "Duplicate of another dataset").status_code == 200


def test_sqlite_to_mongodb_to_sqlite_keeps_every_record_tombstone_and_datestamp(
    apps: dict[str, Flask], tmp_path: Path
) -> None:
    fill(apps["sqlite"])
    original = everything(apps["sqlite"].extensions["dmzpub.store"].store)
    assert len({r.datestamp for r in original}) >= 3 and any(r.deleted for r in original)

    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    exported = CLI(apps["sqlite"]).invoke("export", str(first))
    assert exported.exit_code == 0 and "exported 7 records and tombstones" in exported.output
    imported = CLI(apps["mongo"]).invoke("import", str(first))
    assert imported.exit_code == 0, imported.output
    assert "imported 6 records and 1 tombstones into the mongodb store" in imported.output
    assert everything(apps["mongo"].extensions["dmzpub.store"].store) == original

    assert CLI(apps["mongo"]).invoke("export", str(second)).exit_code == 0
    assert CLI(apps["sqlite2"]).invoke("import", str(second)).exit_code == 0
    assert everything(apps["sqlite2"].extensions["dmzpub.store"].store) == original
    lines = [first.read_text().splitlines(), second.read_text().splitlines()]
    assert lines[0][1:] == lines[1][1:]  # record lines byte for byte the same
    assert json.loads(lines[1][0])["store"] == "mongodb"


def test_harvesters_and_visitors_see_the_same_after_a_move(apps: dict[str, Flask], tmp_path: Path) -> None:
    fill(apps["sqlite"])
    path = tmp_path / "backup.jsonl"
    CLI(apps["sqlite"]).invoke("export", str(path))
    CLI(apps["mongo"]).invoke("import", str(path))
    oai = "/oai?verb=ListIdentifiers&metadataPrefix=oai_dc"
    before, after = (app.test_client().get(oai).get_data(as_text=True) for app in (apps["sqlite"], apps["mongo"]))
    strip = lambda xml: xml.split("</responseDate>", 1)[1]  # noqa: E731
    assert strip(before) == strip(after) and "deleted" in after
    found = apps["mongo"].test_client().get("/?q=topic5").get_data(as_text=True)
    assert "Backup dataset 5" in found  # the search text was rebuilt
    assert apps["mongo"].test_client().get(f"/doi/{DOIS[3]}").status_code == 410


def test_import_refuses_a_store_that_is_not_empty_and_names_bad_lines(apps: dict[str, Flask], tmp_path: Path) -> None:
    fill(apps["sqlite"])
    path = tmp_path / "backup.jsonl"
    CLI(apps["sqlite"]).invoke("export", str(path))
    again = CLI(apps["sqlite"]).invoke("import", str(path))
    assert again.exit_code == 1 and "is not empty" in again.output and "empty store" in again.output
    broken = tmp_path / "broken.jsonl"
    broken.write_text(path.read_text().splitlines()[0] + '\n{"key": "x"}\n', encoding="utf-8")
    result = CLI(apps["mongo"]).invoke("import", str(broken))
    assert result.exit_code == 1 and "line 2: not a dmzpub export record" in result.output
    other = tmp_path / "other.jsonl"
    other.write_text('{"hello": 1}\n', encoding="utf-8")
    assert "not a dmzpub export" in CLI(apps["mongo"]).invoke("import", str(other)).output


def test_a_new_store_is_stamped_with_the_schema_version(app: Flask) -> None:
    assert app.extensions["dmzpub.store"].store.schema_version() == schema.SCHEMA_VERSION


def _reopened(app_config: dict[str, Any], version: int) -> Flask:
    app = create_app(app_config)
    repo = app.extensions["dmzpub.store"].store
    Pusher(app.test_client()).put(v4_document(DOIS[0]))
    repo.set_schema_version(version)
    app.extensions["dmzpub.store"].close()
    return create_app(app_config)


def test_an_older_store_is_refused_at_start_until_migrated(app_config: dict[str, Any]) -> None:
    app = _reopened(app_config, schema.SCHEMA_VERSION - 1)
    try:
        Path(app.config["DMZPUB_DOWNLOAD_DIR"]).mkdir(parents=True, exist_ok=True)
        refused = CLI(app).runner.invoke(main, ["check-config"], obj=app)
        assert refused.exit_code == 1 and "run dmzpub migrate" in refused.output
        assert "does not answer" not in refused.output
        migrated = CLI(app).invoke("migrate")
        assert migrated.exit_code == 0 and "1 upgrades applied" in migrated.output
        assert CLI(app).invoke("check-config").exit_code == 0
        assert CLI(app).invoke("migrate").output.endswith("nothing to do\n")
        assert app.test_client().get(f"/doi/{DOIS[0]}").status_code == 200
    finally:
        app.extensions["dmzpub.store"].close()


def test_a_store_from_a_newer_release_is_refused(app_config: dict[str, Any]) -> None:
    app = _reopened(app_config, schema.SCHEMA_VERSION + 1)
    try:
        for command in ("check-config", "migrate"):
            result = CLI(app).runner.invoke(main, [command], obj=app)
            assert result.exit_code == 1 and "written by a newer dmzpub" in result.output
    finally:
        app.extensions["dmzpub.store"].close()
