"""The pipeline's parts on their own: source map rules, the change feed's paging, SciCat login, bad settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from conftest import v4_document

from catalogue_core.publisher import SciCatSource
from catalogue_core.publisher.datasets import read_dataset
from download_cache.source_map import SourceMap, SourceMapError, Unmapped
from oai_server.cli import main
from oai_server.config import ConfigError, load_settings

from .pipeline import SCICAT_PASSWORD, SCICAT_USER
from .servers import SciCatStandIn, stamp


@pytest.fixture
def catalogue() -> Iterator[SciCatStandIn]:
    """Return a SciCat stand-in with a functional account."""
    server = SciCatStandIn([], users={SCICAT_USER: SCICAT_PASSWORD})
    server.start()
    yield server
    server.stop()


def test_the_first_matching_rule_maps_a_folder_and_hosts_must_match_when_given() -> None:
    rules = SourceMap.parse(
        "fs1.example.org:/gpfs=sftp://dmzpub@fs1.example.org/export\n/gpfs=/mnt/gpfs; /data/beam=/mnt/beam"
    )
    assert rules.resolve("nfs://FS1.example.org:2049", "/gpfs/p/run1") == "sftp://dmzpub@fs1.example.org/export/p/run1"
    assert rules.resolve("fs9.example.org", "/gpfs/p/run1") == "/mnt/gpfs/p/run1"
    assert rules.resolve("", "/data/beam") == "/mnt/beam"
    with pytest.raises(Unmapped, match=r"fs9\.example\.org:/data/beamline/x"):
        rules.resolve("fs9.example.org", "/data/beamline/x")  # a prefix matches whole folder names only


@pytest.mark.parametrize("rule", ["/data", "data=/mnt", "/data=relative/path", "/data=http://example.org/x"])
def test_a_malformed_source_map_rule_is_refused_by_name(rule: str) -> None:
    with pytest.raises(SourceMapError):
        SourceMap.parse(rule)
    with pytest.raises(ConfigError, match="DMZPUB_SOURCE_MAP"):
        load_settings({"DMZPUB_SOURCE_MAP": rule})


def test_the_change_feed_meets_a_record_edited_while_it_pages_and_steps_over_ties(catalogue: SciCatStandIn) -> None:
    same = stamp()
    for i in range(7):  # seven records changed in the same millisecond: more than a page of ties
        catalogue.documents[f"10.99999/tie-{i}"] = {**v4_document(f"10.99999/tie-{i}"), "updatedAt": same}
    for i in range(5):
        catalogue.put(v4_document(f"10.99999/later-{i}"))
    source = SciCatSource(catalogue.url, api="v4", page_size=3)
    seen: list[str] = []
    for page in source.changed_since(None):
        seen += [d["doi"] for d in page]
        if len(seen) == 3:
            catalogue.put(v4_document("10.99999/tie-0", "Edited while paging"))
    assert sorted(set(seen)) == sorted(
        [f"10.99999/tie-{i}" for i in range(7)] + [f"10.99999/later-{i}" for i in range(5)]
    )
    assert seen[-1] == "10.99999/tie-0", "the edited record comes again, at its new place"
    assert source.newest_update() == catalogue.documents["10.99999/tie-0"]["updatedAt"]


def test_the_publisher_logs_in_and_logs_in_again_when_its_token_expires(catalogue: SciCatStandIn) -> None:
    catalogue.add_dataset("20.500.12269/x", "/data/x", {"a.txt": b"a"})
    catalogue.datasets["20.500.12269/x"]["isPublished"] = False  # only a logged-in reader sees it
    source = SciCatSource(catalogue.url, api="v4")
    source.login(SCICAT_USER, SCICAT_PASSWORD)
    assert read_dataset(source, "20.500.12269/x").files[0].path == "a.txt"
    catalogue.tokens.clear()  # SciCat's JWT expired
    assert read_dataset(source, "20.500.12269/x").source_folder == "/data/x"


def test_a_wrong_scicat_password_stops_the_command_with_the_setting_named(catalogue: SciCatStandIn, tmp_path) -> None:
    settings = {
        "DMZPUB_DATA_DIR": str(tmp_path),
        "DMZPUB_SCICAT_URL": catalogue.url,
        "DMZPUB_SCICAT_USER": SCICAT_USER,
        "DMZPUB_SCICAT_PASSWORD": "wrong",
    }
    result = CliRunner().invoke(main, ["sync", "--dry-run"], obj=settings)
    assert result.exit_code == 1
    assert "cannot log in to SciCat as DMZPUB_SCICAT_USER" in result.output and "401" in result.output


def test_the_stage_worker_needs_its_queue_and_source_map(tmp_path) -> None:
    result = CliRunner().invoke(main, ["stage-worker"], obj={"DMZPUB_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 78 and "DMZPUB_AMQP_URL is not set" in result.output  # systemd: no restart loop
    with pytest.raises(ConfigError, match="DMZPUB_AMQP_URL"):
        load_settings({"DMZPUB_AMQP_URL": "http://rabbit.example.org"})


def test_the_follower_stages_new_dataset_lists_evicts_withdrawn_and_ignores_records_without_datasets(
    tmp_path,
) -> None:
    from download_cache.follow import FileFollower

    done: list[tuple[str, str]] = []

    def stage(key: str, datasets: object) -> object:
        done.append(("stage", key))
        from download_cache.stage import StageReport

        return StageReport(key, "area")

    follower = FileFollower(
        tmp_path / "files.sqlite", lambda pid: pid, stage, lambda key: done.append(("evict", key)) or True
    )
    follower.published("10.1/none", "10.1/NONE", [])
    follower.published("10.1/a", "10.1/A", ["p1"])
    follower.published("10.1/a", "10.1/A", ["p1"])  # the same list again: nothing new to do
    while (item := follower.due()) is not None:
        assert follower.work(item)
    follower.published("10.1/a", "10.1/A", ["p1", "p2"])
    follower.withdrawn("10.1/b", "10.1/B")
    while (item := follower.due()) is not None:
        follower.work(item)
    assert done == [("stage", "10.1/a"), ("stage", "10.1/a"), ("evict", "10.1/b")]
    assert follower.counts() == {"pending": 0, "done": 2, "failed": 0}
    follower.close()


def test_a_file_not_matching_scicats_md5_is_quarantined_and_nothing_is_published(tmp_path) -> None:
    import hashlib

    from catalogue_core.publisher.datasets import Dataset, ListedFile
    from download_cache.datasets import Staging
    from download_cache.errors import StageFailed

    folder = tmp_path / "src" / "run"
    folder.mkdir(parents=True)
    (folder / "good.txt").write_bytes(b"good")
    (folder / "bad.txt").write_bytes(b"changed on disk")
    listed = (
        ListedFile("good.txt", 4, hashlib.md5(b"good").hexdigest(), "md5"),
        ListedFile("bad.txt", 15, hashlib.md5(b"as catalogued!!").hexdigest(), "md5"),
    )
    staging = Staging(str(tmp_path / "area"), SourceMap.parse(f"/data={tmp_path / 'src'}"), str(tmp_path / "kh"))
    with pytest.raises(StageFailed, match=r"bad\.txt: md5"):
        staging.stage("10.1/x", [Dataset("p1", "/data/run", "", listed)])
    assert not (tmp_path / "area" / "10.1%2Fx" / "manifest.json").exists()
    assert list((tmp_path / "area" / ".dmzpub-quarantine").rglob("bad.txt.*"))
