"""End to end: publish in the SciCat stand-in; with only `dmzpub sync --watch` running, record and files arrive."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from conftest import v4_document

from .pipeline import SCICAT_PASSWORD, SCICAT_USER, Service, make_folder, pipeline_env, sha256, status, wait_for
from .servers import LiveDMZ, SciCatStandIn

DOI = "10.99999/pipeline-e2e"
PID_A, PID_B = "20.500.12269/run-a", "20.500.12269/run-b"


@pytest.fixture
def store_kind() -> str:
    """The pipeline is what is under test here, not the store: SQLite only."""
    return "sqlite"


@pytest.fixture
def catalogue(tmp_path: Path) -> Iterator[SciCatStandIn]:
    """Return a SciCat stand-in with a functional account for the publisher."""
    server = SciCatStandIn([], users={SCICAT_USER: SCICAT_PASSWORD})
    server.start()
    yield server
    server.stop()


def registered(doi: str, title: str, pids: list[str], status_: str = "registered") -> dict[str, Any]:
    """Return a v4 PublishedData document covering these datasets."""
    return {**v4_document(doi, title), "status": status_, "datasetPids": pids}


def two_datasets(tmp_path: Path, scicat: SciCatStandIn) -> tuple[dict[str, bytes], dict[str, bytes], str]:
    """Put two datasets in two source folders SciCat knows by other names; return their files and the map."""
    files_a = make_folder(tmp_path / "beamline" / "2024" / "run-a", {"scan.h5": b"A" * 300_000, "log/run.txt": b"ok\n"})
    files_b = make_folder(tmp_path / "gpfs" / "proj" / "run-b", {"image.tiff": bytes(range(256)) * 700})
    scicat.add_dataset(PID_A, "/data/beamline/2024/run-a", files_a)
    # The second one is checksummed with md5, as many ingestors do: verified in md5, published in SHA-256.
    scicat.add_dataset(PID_B, "/gpfs/proj/run-b/", files_b, host="nfs://fs2.example.org", alg="md5")
    source_map = f"/data/beamline={tmp_path / 'beamline'}; fs2.example.org:/gpfs={tmp_path / 'gpfs'}"
    return files_a, files_b, source_map


def test_publish_edit_and_make_private_with_only_the_watcher_running(
    tmp_path: Path, dmz: LiveDMZ, catalogue: SciCatStandIn, app: Any
) -> None:
    files_a, files_b, source_map = two_datasets(tmp_path, catalogue)
    data_dir = tmp_path / "intranet"
    download_dir = Path(app.config["DMZPUB_DOWNLOAD_DIR"])
    env = pipeline_env(data_dir, dmz, catalogue, download_dir, DMZPUB_SOURCE_MAP=source_map)
    watcher = Service(["sync", "--watch"], env, tmp_path / "watch.log").start()
    try:
        wait_for(lambda: status(data_dir).get("rounds", 0) >= 1, what="the first round")
        catalogue.put(registered(DOI, "Pipeline dataset", [PID_A, PID_B]))

        landing = wait_for(lambda: _get(dmz, f"/doi/{DOI}", 200), what="the landing page")
        assert "Pipeline dataset" in landing.text
        oai = _get(dmz, "/oai?verb=ListRecords&metadataPrefix=oai_dc", 200)
        assert DOI in oai.text and "Pipeline dataset" in oai.text
        listing = wait_for(lambda: _get(dmz, f"/download/{DOI}/?format=json", 200), what="the staged files")
        expected = {f"run-a/{name}": data for name, data in files_a.items()}
        expected |= {f"run-b/{name}": data for name, data in files_b.items()}
        assert sorted(f["path"] for f in listing.json()["files"]) == sorted(expected)
        for path, data in expected.items():
            body = _get(dmz, f"/download/{DOI}/{quote(path)}", 200).content
            assert sha256(body) == sha256(data), path
        sums = _get(dmz, f"/download/{DOI}/SHA256SUMS", 200).text
        assert all(f"{sha256(data)} *{path}" in sums for path, data in expected.items())

        # An edit shows within one round: at most the round under way and the next one.
        rounds = status(data_dir)["rounds"]
        catalogue.put(registered(DOI, "Pipeline dataset, edited", [PID_A, PID_B]))
        wait_for(lambda: "edited" in _get(dmz, f"/doi/{DOI}", 200).text, what="the edit")
        assert status(data_dir)["rounds"] <= rounds + 2

        # Private in SciCat: withdrawn on the DMZ (410) and its files evicted.
        catalogue.put(registered(DOI, "Pipeline dataset, edited", [PID_A, PID_B], status_="private"))
        wait_for(
            lambda: _status_code(dmz, f"/doi/{DOI}") == 410, what=f"the withdrawal ({_status_code(dmz, f'/doi/{DOI}')})"
        )
        wait_for(lambda: not (download_dir / quote(DOI, safe="") / "run-a" / "scan.h5").exists(), what="eviction")
        assert _status_code(dmz, f"/download/{DOI}/run-a/scan.h5") in (404, 410)

        assert watcher.terminate() == 0
        assert status(data_dir)["state"] == "stopped"
        log = watcher.log()
        assert f"publish {DOI}" in log and f"update {DOI}" in log and f"withdraw {DOI}" in log
        assert "Traceback" not in log
    finally:
        watcher.stop()


def test_a_file_missing_on_disk_fails_its_dataset_by_name_and_the_page_says_preparing(
    tmp_path: Path, dmz: LiveDMZ, catalogue: SciCatStandIn, app: Any
) -> None:
    _, _, source_map = two_datasets(tmp_path, catalogue)
    (tmp_path / "gpfs" / "proj" / "run-b" / "image.tiff").unlink()
    data_dir = tmp_path / "intranet"
    env = pipeline_env(data_dir, dmz, catalogue, Path(app.config["DMZPUB_DOWNLOAD_DIR"]), DMZPUB_SOURCE_MAP=source_map)
    catalogue.put(registered(DOI, "Half there", [PID_A, PID_B]))
    watcher = Service(["sync", "--watch"], env, tmp_path / "watch.log").start()
    try:
        wait_for(lambda: status(data_dir).get("files_failed"), what="the staging failure")
        page = _get(dmz, f"/doi/{DOI}", 200).text
        assert "prepar" in page.lower()
        assert _status_code(dmz, f"/download/{DOI}/run-a/scan.h5") == 404
        log = watcher.log()
        assert f"dataset {PID_B}" in log and "image.tiff" in log and "no such file" in log
        assert watcher.terminate() == 0
    finally:
        watcher.stop()
    from click.testing import CliRunner

    from oai_server.cli import main

    shown = CliRunner().invoke(main, ["outbox", "status"], obj={"DMZPUB_DATA_DIR": str(data_dir)})
    assert "watch: stopped" in shown.output and f"files failed {DOI}" in shown.output and "image.tiff" in shown.output


def test_unmapped_source_folders_are_reported_not_guessed(
    tmp_path: Path, dmz: LiveDMZ, catalogue: SciCatStandIn, app: Any
) -> None:
    two_datasets(tmp_path, catalogue)
    data_dir = tmp_path / "intranet"
    env = pipeline_env(
        data_dir,
        dmz,
        catalogue,
        Path(app.config["DMZPUB_DOWNLOAD_DIR"]),
        DMZPUB_SOURCE_MAP=f"/data/beamline={tmp_path / 'beamline'}",
    )
    catalogue.put(registered(DOI, "Unmapped", [PID_A, PID_B]))
    watcher = Service(["sync", "--watch"], env, tmp_path / "watch.log").start()
    try:
        wait_for(lambda: status(data_dir).get("files_failed"), what="the staging failure")
        assert "no DMZPUB_SOURCE_MAP rule maps the source folder fs2.example.org:/gpfs/proj/run-b" in watcher.log()
        assert _status_code(dmz, f"/download/{DOI}/run-a/scan.h5") == 404
    finally:
        watcher.stop()


def test_the_watcher_survives_outages_of_scicat_and_of_the_dmz(
    tmp_path: Path, dmz: LiveDMZ, catalogue: SciCatStandIn, app: Any
) -> None:
    data_dir = tmp_path / "intranet"
    env = pipeline_env(data_dir, dmz, catalogue, Path(app.config["DMZPUB_DOWNLOAD_DIR"]), DMZPUB_PUSH_GIVE_UP="0.5")
    watcher = Service(["sync", "--watch"], env, tmp_path / "watch.log").start()
    try:
        wait_for(lambda: status(data_dir).get("rounds", 0) >= 1, what="the first round")
        catalogue.stop()
        wait_for(lambda: "round failed" in watcher.log(), what="a failed round")
        catalogue.start()
        dmz.stop()
        catalogue.put(registered("10.99999/during-outage", "Written while the DMZ was away", []))
        wait_for(lambda: status(data_dir).get("queue"), what="the record waiting in the outbox")
        dmz.start()
        wait_for(lambda: _get(dmz, "/doi/10.99999/during-outage", 200), what="delivery after the outage")
        assert watcher.process is not None and watcher.process.poll() is None
        assert watcher.terminate() == 0
    finally:
        watcher.stop()


def _get(dmz: LiveDMZ, path: str, expect: int) -> requests.Response | None:
    try:
        response = requests.get(dmz.url + path, timeout=10)
    except requests.RequestException:
        return None
    return response if response.status_code == expect else None


def _status_code(dmz: LiveDMZ, path: str) -> int:
    return requests.get(dmz.url + path, timeout=10).status_code


def test_checksums_in_other_algorithms_are_named_by_hashlib() -> None:
    from download_cache.datasets import hash_name

    assert [hash_name(a) for a in ("SHA-256", "md5", "blake2b", "sha1", "xxh64", None)] == [
        "sha256",
        "md5",
        "blake2b",
        "sha1",
        None,
        None,
    ]
    assert hashlib.new(hash_name("SHA-512") or "").name == "sha512"


def test_the_watcher_killed_mid_round_and_mid_staging_converges_after_restart(
    tmp_path: Path, dmz: LiveDMZ, catalogue: SciCatStandIn, app: Any, dmz_store: Any
) -> None:
    files_a, files_b, source_map = two_datasets(tmp_path, catalogue)
    big = make_folder(tmp_path / "beamline" / "2024" / "run-a", {"zz-large.bin": bytes(range(256)) * 48 * 1024})
    catalogue.origdatablocks[0]["dataFileList"].append(
        {"path": "zz-large.bin", "size": len(big["zz-large.bin"]), "time": "2024-01-01T00:00:00.000Z",
         "chk": sha256(big["zz-large.bin"])}
    )  # fmt: skip
    for i in range(30):
        catalogue.put(registered(f"10.99999/crowd-{i:03d}", f"Crowd {i}", []))
    catalogue.put(registered(DOI, "Pipeline dataset", [PID_A, PID_B]))
    data_dir = tmp_path / "intranet"
    download_dir = Path(app.config["DMZPUB_DOWNLOAD_DIR"])
    folder = download_dir / quote(DOI, safe="")
    env = pipeline_env(data_dir, dmz, catalogue, download_dir, DMZPUB_SOURCE_MAP=source_map, DMZPUB_STAGE_BWLIMIT="3M")
    watcher = Service(["sync", "--watch"], env, tmp_path / "watch.log")
    # Killed while the first round delivers (the DMZ has committed the bulk write, the reply is not read).
    dmz.after_write = lambda n: watcher.kill9() if n == 1 else None
    watcher.start()
    try:
        wait_for(lambda: watcher.process is not None and watcher.process.poll() is not None, what="the first kill")
        dmz.after_write = None
        watcher.start()
        # Killed again while the large file is half copied.
        wait_for(lambda: list(folder.glob("run-a/.dmzpub-part.zz-large.bin")), 60, "staging under way")
        small = folder / "run-a" / "log" / "run.txt"
        small_inode = small.stat().st_ino if small.exists() else None
        watcher.kill9()
        assert not (folder / "manifest.json").exists(), "nothing half-copied is visible"
        assert _status_code(dmz, f"/download/{DOI}/run-a/scan.h5") == 404
        watcher.env["DMZPUB_STAGE_BWLIMIT"] = ""
        watcher.start()
        wait_for(lambda: (folder / "manifest.json").exists(), 60, "the staging to finish")
        for i in range(30):
            assert wait_for(lambda i=i: _get(dmz, f"/doi/10.99999/crowd-{i:03d}", 200), what=f"crowd {i}")
        for key in [f"10.99999/crowd-{i:03d}" for i in range(30)] + [DOI]:
            assert dmz.effects(key) == ["created"], key  # replays after the kills changed nothing
        expected = {f"run-a/{n}": d for n, d in {**files_a, **big}.items()}
        expected |= {f"run-b/{n}": d for n, d in files_b.items()}
        for path, data in expected.items():
            assert sha256(_get(dmz, f"/download/{DOI}/{quote(path)}", 200).content) == sha256(data), path
        if small_inode is not None:
            assert small.stat().st_ino == small_inode, "a good copy was not staged again"
        assert not list(folder.rglob(".dmzpub-part.*"))
        assert watcher.terminate() == 0
    finally:
        dmz.after_write = None
        watcher.stop()


def test_sigterm_during_a_full_round_stops_at_the_next_page_with_exit_code_0(
    tmp_path: Path, dmz: LiveDMZ, catalogue: SciCatStandIn, app: Any
) -> None:
    for i in range(2000):
        catalogue.put(registered(f"10.99999/many-{i:04d}", f"Many {i}", []))
    data_dir = tmp_path / "intranet"
    env = pipeline_env(data_dir, dmz, catalogue, Path(app.config["DMZPUB_DOWNLOAD_DIR"]))
    watcher = Service(["sync", "--watch", "--page-size", "5"], env, tmp_path / "watch.log").start()
    try:
        wait_for(lambda: catalogue.served >= 50, what="the full round reading")
        assert watcher.terminate(timeout=30) == 0
        assert status(data_dir)["state"] == "stopped"
        assert catalogue.served < 2000, "it left the read at the next page"
        assert "Traceback" not in watcher.log()
    finally:
        watcher.stop()


def test_sigterm_during_a_long_delivery_stops_after_the_batch_under_way(
    tmp_path: Path, dmz: LiveDMZ, catalogue: SciCatStandIn, app: Any
) -> None:
    for i in range(600):
        catalogue.put(registered(f"10.99999/deliver-{i:04d}", f"Deliver {i}", []))
    data_dir = tmp_path / "intranet"
    env = pipeline_env(data_dir, dmz, catalogue, Path(app.config["DMZPUB_DOWNLOAD_DIR"]))
    # A long delivery: each bulk reply takes a while, so the 4 senders cannot finish all 6 batches meanwhile.
    dmz.after_write = lambda writes: time.sleep(0.3)
    watcher = Service(["sync", "--watch"], env, tmp_path / "watch.log").start()
    try:
        wait_for(lambda: dmz.writes >= 1, what="delivery under way")
        assert watcher.terminate(timeout=30) == 0
        assert status(data_dir)["state"] == "stopped"
        assert dmz.writes < 6, "it did not deliver all 600 records (6 bulk writes) before stopping"
    finally:
        watcher.stop()
    # Nothing was lost: the next start delivers the rest.
    watcher.start()
    try:
        wait_for(lambda: status(data_dir).get("last_success"), 120, "the rest delivered")
        assert all(_get(dmz, f"/doi/10.99999/deliver-{i:04d}", 200) for i in (0, 299, 599))
    finally:
        watcher.stop()
