"""Settings are checked at start with messages naming the variable; the CLI works and helps."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from oai_server.cli import main
from oai_server.config import ConfigError, load_settings
from oai_server.store import of as store_of


@pytest.mark.parametrize(
    ("name", "value", "fix"),
    [
        ("DMZPUB_BASE_URL", "ftp://x", "https://"),
        ("DMZPUB_MAX_PUSH_BYTES", "lots", "1024"),
        ("DMZPUB_MAX_PUSH_BYTES", "10", "1024"),
        ("DMZPUB_WORKERS", "0", "1..64"),
        ("DMZPUB_PUSH_ALLOW_CIDRS", "10.0.0.0/33", "networks"),
        ("DMZPUB_SCICAT_BASIC", "nocolon", "user:password"),
        ("DMZPUB_PUSH_TOKENS_FILE", "/nonexistent/tokens", "one token per line"),
        ("DMZPUB_SET_RULES", "year,colour", "choose from"),
    ],
)
def test_bad_settings_name_the_variable_and_the_fix(name: str, value: str, fix: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({name: value})
    assert info.value.name == name and str(info.value).startswith(name) and fix in str(info.value)


def test_defaults() -> None:
    settings = load_settings({})
    assert settings["DMZPUB_DATA_DIR"] == "./var" and settings["DMZPUB_MAX_PUSH_BYTES"] == 50 << 20
    assert settings["DMZPUB_PUSH_TOKENS"] == () and settings["DMZPUB_SET_RULES"] == ("year", "type")


def test_cli_reports_a_bad_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DMZPUB_BASE_URL", "not a url")
    result = CliRunner().invoke(main, ["check-config"])
    assert result.exit_code == 78 and "DMZPUB_BASE_URL" in result.output and "Fix:" in result.output


def test_check_config_ok(runner: Any) -> None:
    Path(runner.app.config["DMZPUB_DOWNLOAD_DIR"]).mkdir(parents=True, exist_ok=True)
    result = runner.invoke("check-config")
    assert result.exit_code == 0 and "configuration ok" in result.output


@pytest.mark.parametrize("args", [["--help"], ["serve", "--help"], ["reindex", "--help"], ["check-config", "--help"]])
def test_every_command_has_help(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0 and "Usage:" in result.output


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("dmzpub")
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=True)
    assert "serve" in result.stdout and "reindex" in result.stdout


def test_demo_records_load_only_into_an_empty_store(app: Any) -> None:
    from oai_server.cli.dmz import load_demo

    assert load_demo(app) == 3
    assert load_demo(app) == 0
    from download_cache.area import DownloadArea

    status = DownloadArea(app.config["DMZPUB_DOWNLOAD_DIR"]).status("10.99999/dmzpub-demo-0002")
    assert status.state == "staged" and {f.path for f in status.files} == {
        "README.txt",
        "reduced/micelles_25C.dat",
        "reduced/micelles_40C.dat",
    }
    with app.test_client().get("/download/10.99999/dmzpub-demo-0002/README.txt") as response:
        assert response.status_code == 200 and response.data.startswith(b"Demonstration")
    store = store_of(app).store
    assert [r.key for r in store.list_keys(None, 10)] == [
        "10.99999/dmzpub-demo-0001",
        "10.99999/dmzpub-demo-0002",
        "10.99999/dmzpub-demo-0003",
    ]


def test_reindex_keeps_datestamps_when_output_is_unchanged(runner: Any, app: Any) -> None:
    from oai_server.cli.dmz import load_demo

    load_demo(app)
    store = store_of(app).store
    before = {r.key: r.datestamp for r in store.list_keys(None, 10)}
    result = runner.invoke("reindex")
    assert result.exit_code == 0 and "reindexed 3 records, 0 changed" in result.output
    assert {r.key: r.datestamp for r in store.list_keys(None, 10)} == before


def test_reindex_recounts_a_store_whose_counts_drifted(runner: Any, app: Any) -> None:
    from catalogue_core.store import ListQuery
    from catalogue_core.store.sqlite import SQLiteRepository
    from oai_server.cli.dmz import load_demo

    load_demo(app)
    store = store_of(app).store
    if isinstance(store, SQLiteRepository):
        with store._write() as db:
            db.execute("UPDATE counts SET n = n + 5")
    else:
        store.counts.counts.update_many({}, {"$inc": {"n": 5}})  # type: ignore[attr-defined]
    assert store.count(ListQuery()) > 3  # drifted
    result = runner.invoke("reindex")
    assert result.exit_code == 0 and "counts rebuilt" in result.output
    assert store.count(ListQuery()) == 3


def test_reindex_rerenders_when_the_base_url_changes(app_config: dict[str, Any], app: Any) -> None:
    from conftest import CLI

    from oai_server import create_app
    from oai_server.cli.dmz import load_demo

    load_demo(app)
    store_of(app).close()
    moved = create_app({**app_config, "DMZPUB_BASE_URL": "https://data.example.net"})
    result = CLI(moved).invoke("reindex")
    assert "reindexed 3 records, 3 changed" in result.output
    record = store_of(moved).store.get("10.99999/dmzpub-demo-0001")
    assert "https://data.example.net/doi/10.99999/dmzpub-demo-0001" in record.rendered["oai_dc"]
    store_of(moved).close()


def test_check_config_reports_an_unusable_key_file(app_config: dict[str, Any], tmp_path: Path) -> None:
    from conftest import CLI

    from oai_server import create_app

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    app = create_app({**app_config, "DMZPUB_DATA_DIR": str(blocker), "DMZPUB_SECRET_KEY": ""})
    result = CLI(app).runner.invoke(main, ["check-config"], obj=app)
    assert result.exit_code == 78 and "DMZPUB_SECRET_KEY" in result.output and "Fix:" in result.output


@pytest.mark.parametrize("value", ["10.1234/x", "11.1234", "doi:10.1234", "10.12"])
def test_bad_doi_prefixes_are_refused(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"DMZPUB_DOI_PREFIXES": value})
    assert info.value.name == "DMZPUB_DOI_PREFIXES" and "10.16907" in str(info.value)


def test_doi_prefixes_are_case_folded_lists() -> None:
    assert load_settings({"DMZPUB_DOI_PREFIXES": " 10.16907 ,10.17199.1"})["DMZPUB_DOI_PREFIXES"] == (
        "10.16907",
        "10.17199.1",
    )


@pytest.mark.parametrize("command", [["reindex"], ["check-config"], ["serve", "--bind", "127.0.0.1:1"]])
@pytest.mark.parametrize("kind", ["sqlite", "mongodb"])
def test_a_store_that_does_not_answer_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: list[str], kind: str
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("DMZPUB_DATA_DIR", str(blocker / "var"))
    monkeypatch.setenv("DMZPUB_SECRET_KEY", "s" * 32)
    if kind == "mongodb":
        monkeypatch.setenv("DMZPUB_MONGO_URI", "mongodb://127.0.0.1:1/x?serverSelectionTimeoutMS=200")
    result = CliRunner().invoke(main, command)
    setting = "DMZPUB_MONGO_URI" if kind == "mongodb" else "DMZPUB_DATA_DIR"
    assert result.exit_code == 1 and "the record store does not answer" in result.output
    assert f"Fix: check {setting}" in result.output and "Traceback" not in result.output
