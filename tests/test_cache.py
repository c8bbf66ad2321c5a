"""Quota and retention: ls, pin, evict (least recently downloaded first), verify (fixity)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from download_helpers import make_dataset, random_bytes
from landing_data import mark, stage

from download_cache.area import ACCESS, STATE, DownloadArea, dataset_dirname
from download_cache.copier import QUARANTINE
from download_cache.errors import NotStaged
from download_cache.manifest import CHECKSUMS, MANIFEST
from download_cache.open_target import open_target
from download_cache.retention import Retention
from download_cache.sources import Source
from download_cache.stage import Stager
from oai_server import create_app
from oai_server.cli import main
from oai_server.config import ConfigError, load_settings
from oai_server.metrics import _area_lines

KEYS = ["10.5555/old", "10.5555/middle", "10.5555/new"]


@pytest.fixture
def area(tmp_path: Path) -> Path:
    area = tmp_path / "area"
    area.mkdir()
    for age, key in enumerate(KEYS):
        src = tmp_path / f"src{age}"
        make_dataset(src, {"data.bin": random_bytes(1000, age), "notes.txt": b"n" * 24})
        Stager(open_target(str(area))).stage(key, Source(str(src)))
        # Downloads long ago for "old", recently for "new".
        marker = area / dataset_dirname(key) / ACCESS
        marker.touch()
        os.utime(marker, (1_000_000 + age * 1000, 1_000_000 + age * 1000))
    return area


def cli(tmp_path: Path, area: Path, *args: str, **settings: str) -> object:
    app = create_app({"DMZPUB_DATA_DIR": str(tmp_path / "var"), "DMZPUB_DOWNLOAD_DIR": str(area), **settings})
    return CliRunner().invoke(main, list(args), obj=app, catch_exceptions=False)


def states(area: Path) -> dict[str, str]:
    return {key: DownloadArea(area).status(key).state for key in KEYS}


def test_ls_lists_state_size_pin_and_last_download(tmp_path: Path, area: Path) -> None:
    Retention(open_target(str(area))).pin("10.5555/old")
    result = cli(tmp_path, area, "cache", "ls", "--json")
    listed = {d["doi"]: d for d in json.loads(result.stdout)}
    assert set(listed) == set(KEYS)
    assert listed["10.5555/old"]["pinned"] is True and listed["10.5555/new"]["pinned"] is False
    assert listed["10.5555/new"]["size"] == 1024 and listed["10.5555/new"]["files"] == 2
    assert listed["10.5555/old"]["state"] == "staged"
    plain = cli(tmp_path, area, "cache", "ls")
    assert "10.5555/old\tstaged\t2 files\t1024 bytes\tpinned" in plain.stdout


def test_quota_evicts_least_recently_downloaded_first(tmp_path: Path, area: Path) -> None:
    result = cli(tmp_path, area, "cache", "evict", "--json", DMZPUB_CACHE_MAX_BYTES="2100")
    assert json.loads(result.stdout) == {"evicted": ["10.5555/old"]}
    assert states(area) == {"10.5555/old": "evicted", "10.5555/middle": "staged", "10.5555/new": "staged"}
    folder = area / dataset_dirname("10.5555/old")
    assert sorted(p.name for p in folder.iterdir()) == [STATE]
    assert json.loads((folder / STATE).read_text())["state"] == "evicted"


def test_pinned_datasets_are_never_evicted_by_quota(tmp_path: Path, area: Path) -> None:
    cli(tmp_path, area, "cache", "pin", "10.5555/old")
    result = cli(tmp_path, area, "cache", "evict", "--json", DMZPUB_CACHE_MAX_BYTES="1500")
    assert json.loads(result.stdout)["evicted"] == ["10.5555/middle", "10.5555/new"]
    assert states(area)["10.5555/old"] == "staged"
    cli(tmp_path, area, "cache", "pin", "--unpin", "10.5555/old")
    assert DownloadArea(area).status("10.5555/old").pinned is False


def test_a_recent_download_protects_a_dataset(tmp_path: Path, area: Path) -> None:
    DownloadArea(area).touch("10.5555/old")
    cli(tmp_path, area, "cache", "evict", DMZPUB_CACHE_MAX_BYTES="2100")
    assert states(area) == {"10.5555/old": "staged", "10.5555/middle": "evicted", "10.5555/new": "staged"}


def test_staging_enforces_the_quota(tmp_path: Path, area: Path) -> None:
    make_dataset(tmp_path / "fresh", {"f.bin": random_bytes(1500, 9)})
    result = cli(
        tmp_path, area, "stage", "10.5555/fresh", "--source", str(tmp_path / "fresh"), "--json",
        DMZPUB_CACHE_MAX_BYTES="3000",
    )  # fmt: skip
    summary = json.loads(result.stdout)
    assert summary["state"] == "staged" and summary["evicted"] == ["10.5555/old", "10.5555/middle"]
    assert DownloadArea(area).status("10.5555/fresh").state == "staged"


def test_evicting_by_name_and_pinned_refusal(tmp_path: Path, area: Path) -> None:
    cli(tmp_path, area, "cache", "pin", "10.5555/new")
    refused = cli(tmp_path, area, "cache", "evict", "10.5555/new")
    assert refused.exit_code == 1 and "pinned" in refused.output
    forced = cli(tmp_path, area, "cache", "evict", "--force", "10.5555/new")
    assert forced.exit_code == 0 and states(area)["10.5555/new"] == "evicted"
    assert DownloadArea(area).status("10.5555/new").pinned is True
    absent = cli(tmp_path, area, "cache", "evict", "10.5555/never")
    assert absent.exit_code == 1 and "absent" in absent.output
    with pytest.raises(NotStaged):
        Retention(open_target(str(area))).pin("10.5555/never")


def test_verify_reports_every_mismatch(tmp_path: Path, area: Path) -> None:
    clean = cli(tmp_path, area, "cache", "verify")
    assert clean.exit_code == 0 and "verified 6 file(s) of 3 dataset(s)" in clean.stdout
    (area / dataset_dirname("10.5555/old") / "notes.txt").write_bytes(b"x" * 24)
    (area / dataset_dirname("10.5555/new") / "data.bin").unlink()
    (area / dataset_dirname("10.5555/new") / "notes.txt").write_bytes(b"short")
    result = cli(tmp_path, area, "cache", "verify", "--json")
    assert result.exit_code == 1
    found = {(m["doi"], m["path"]): m["problem"] for m in json.loads(result.stdout)["mismatches"]}
    assert set(found) == {("10.5555/old", "notes.txt"), ("10.5555/new", "data.bin"), ("10.5555/new", "notes.txt")}
    assert found[("10.5555/new", "data.bin")] == "missing"
    assert found[("10.5555/new", "notes.txt")] == "size 5 != manifest 24"
    assert found[("10.5555/old", "notes.txt")].startswith("sha256 ")


def test_verify_quarantine_hides_the_dataset_until_restaged(tmp_path: Path, area: Path) -> None:
    folder = area / dataset_dirname("10.5555/old")
    (folder / "notes.txt").write_bytes(b"x" * 24)
    result = cli(tmp_path, area, "cache", "verify", "--quarantine", "10.5555/old")
    assert result.exit_code == 1 and "quarantined" in result.stdout
    assert not (folder / MANIFEST).exists() and not (folder / "notes.txt").exists()
    assert list((area / QUARANTINE).rglob("notes.txt.fixity"))
    restaged = Stager(open_target(str(area))).stage("10.5555/old", Source(str(tmp_path / "src0")))
    assert (restaged.copied, restaged.skipped) == (1, 1)
    assert (folder / CHECKSUMS).exists() and DownloadArea(area).status("10.5555/old").state == "staged"


@pytest.mark.parametrize(
    ("value", "expected"), [("0", 0), ("1024", 1024), ("500G", 500 << 30), ("2TiB", 2 << 40), ("1.5M", 3 << 19)]
)
def test_quota_setting_accepts_sizes(value: str, expected: int) -> None:
    assert load_settings({"DMZPUB_CACHE_MAX_BYTES": value})["DMZPUB_CACHE_MAX_BYTES"] == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DMZPUB_CACHE_MAX_BYTES", "lots"),
        ("DMZPUB_CACHE_MAX_BYTES", "-5"),
        ("DMZPUB_DOWNLOAD_ACCEL", "apache"),
        ("DMZPUB_DOWNLOAD_ACCEL_PREFIX", "files"),
        ("DMZPUB_STAGE_JOBS", "0"),
    ],
)
def test_bad_download_settings_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value})


def test_server_cache_ls_and_metrics_read_a_quarantined_dataset_alike(tmp_path: Path, area: Path) -> None:
    # One state rule (download_cache.state): `cache ls` used to call a quarantined dataset "staging".
    (area / dataset_dirname("10.5555/old") / "notes.txt").write_bytes(b"x" * 24)
    assert cli(tmp_path, area, "cache", "verify", "--quarantine", "10.5555/old").exit_code == 1
    assert DownloadArea(area).status("10.5555/old").state == "quarantined"
    assert Retention(open_target(str(area))).info("10.5555/old").state == "quarantined"
    metrics = _area_lines(str(area), 0)
    assert 'dmzpub_download_datasets{state="quarantined"} 1' in metrics
    assert 'dmzpub_download_datasets{state="staged"} 2' in metrics


def test_an_evicted_dataset_keeps_no_files_for_server_or_cache_ls(area: Path) -> None:
    Retention(open_target(str(area))).evict("10.5555/new")
    assert DownloadArea(area).status("10.5555/new").files == ()
    info = Retention(open_target(str(area))).info("10.5555/new")
    assert (info.state, info.files) == ("evicted", 0) == (DownloadArea(area).status("10.5555/new").state, 0)


def test_a_datasets_signature_changes_with_each_state_and_only_then(tmp_path: Path) -> None:
    view, key = DownloadArea(tmp_path), "10.1234/signed"
    seen = [view.signature(key)]
    assert view.signature(key) == seen[0]
    mark(tmp_path, key, "staging")
    seen.append(view.signature(key))
    stage(tmp_path, key)
    seen.append(view.signature(key))
    assert view.signature(key) == seen[-1]
    mark(tmp_path, key, "evicted")
    seen.append(view.signature(key))
    assert len(set(seen)) == 4
    shutil.rmtree(view.dataset_dir(key))
    assert view.signature(key) == seen[0]
