"""Staging over SFTP, against a real OpenSSH server started on a loopback port."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from download_helpers import make_dataset, random_bytes, sha256, sshd

from download_cache.area import DownloadArea, dataset_dirname
from download_cache.copier import RESUME_MIN, FileCopier, part_path
from download_cache.errors import StageFailed, UnknownHostKey, UnsafePath
from download_cache.manifest import MANIFEST
from download_cache.open_target import open_target
from download_cache.retention import Retention
from download_cache.sftp import storage_options
from download_cache.sources import Source
from download_cache.stage import Stager
from download_cache.target_sftp import SFTPTarget
from oai_server import create_app
from oai_server.cli import main

KEY = "10.5555/sftp/ds"
FILES = {"one.txt": b"one\n", "nested/two.bin": random_bytes(RESUME_MIN + 77, 3), "ü.txt": b"u\n"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    with sshd(tmp_path_factory.mktemp("ssh")) as info:
        yield info


def url(server: dict[str, object], path: Path) -> str:
    return f"sftp://{server['user']}@127.0.0.1:{server['port']}{path}"


def options(server: dict[str, object], known_hosts: object = None) -> dict[str, object]:
    return storage_options(
        f"sftp://{server['user']}@127.0.0.1", str(server["key"]), known_hosts or server["known_hosts"]
    )


@pytest.fixture
def src(tmp_path: Path) -> Path:
    make_dataset(tmp_path / "src", FILES)
    return tmp_path / "src"


def assert_staged(area: Path, files: dict[str, bytes]) -> None:
    status = DownloadArea(area).status(KEY)
    assert status.state == "staged"
    assert {f.path: f.sha256 for f in status.files} == {p: sha256(d) for p, d in files.items()}
    for rel, data in files.items():
        assert (area / dataset_dirname(KEY) / rel).read_bytes() == data


def test_stage_to_a_remote_cache_over_sftp(server: dict[str, object], src: Path, tmp_path: Path) -> None:
    area = tmp_path / "remote-area"
    area.mkdir()
    target = open_target(url(server, area), options(server))
    assert isinstance(target, SFTPTarget)
    report = Stager(target, jobs=3).stage(KEY, Source(str(src)))
    assert (report.copied, report.state) == (3, "staged")
    assert_staged(area, FILES)
    assert (area / dataset_dirname(KEY) / "one.txt").stat().st_mtime == pytest.approx(
        (src / "one.txt").stat().st_mtime, abs=1
    )
    again = Stager(target).stage(KEY, Source(str(src)))
    assert (again.copied, again.skipped) == (0, 3)


def test_stage_from_a_remote_source_over_sftp(server: dict[str, object], src: Path, tmp_path: Path) -> None:
    area = tmp_path / "area"
    area.mkdir()
    report = Stager(open_target(str(area))).stage(KEY, Source(url(server, src), options(server)))
    assert report.copied == 3
    assert_staged(area, FILES)


def test_resume_over_sftp(server: dict[str, object], src: Path, tmp_path: Path) -> None:
    area = tmp_path / "remote-area"
    folder = area / dataset_dirname(KEY)
    (folder / "nested").mkdir(parents=True)
    target = open_target(url(server, area), options(server))
    big = Source(str(src)).files([("nested/two.bin", None)])[0]
    part = Path(part_path(str(folder), "nested/two.bin"))
    part.write_bytes(FILES["nested/two.bin"][:2_000_000])
    Path(str(part) + ".json").write_bytes(FileCopier._meta(big))
    report = Stager(target).stage(KEY, Source(str(src)))
    assert report.resumed == 1
    assert report.bytes_copied == sum(len(d) for d in FILES.values()) - 2_000_000
    assert_staged(area, FILES)


def test_mismatch_over_sftp_is_quarantined_on_the_server(server: dict[str, object], src: Path, tmp_path: Path) -> None:
    (src / "SHA256SUMS").write_text(f"{'a' * 64}  one.txt\n")
    area = tmp_path / "remote-area"
    area.mkdir()
    with pytest.raises(StageFailed, match=r"one\.txt"):
        Stager(open_target(url(server, area), options(server))).stage(KEY, Source(str(src)))
    assert not (area / dataset_dirname(KEY) / MANIFEST).exists()
    assert not (area / dataset_dirname(KEY) / "one.txt").exists()
    assert [p.read_bytes() for p in area.rglob("one.txt.*")] == [b"one\n"]


def test_remote_source_link_leaving_the_dataset_is_refused(
    server: dict[str, object], src: Path, tmp_path: Path
) -> None:
    (tmp_path / "secret").write_text("no")
    (src / "link.txt").symlink_to(tmp_path / "secret")
    with pytest.raises(UnsafePath, match="leads outside"):
        Stager(open_target(str(tmp_path / "area"))).stage(KEY, Source(url(server, src), options(server)))


def test_cache_commands_work_on_a_remote_area(server: dict[str, object], src: Path, tmp_path: Path) -> None:
    area = tmp_path / "remote-area"
    area.mkdir()
    app = create_app({"DMZPUB_DATA_DIR": str(tmp_path / "var"), "DMZPUB_DOWNLOAD_DIR": str(tmp_path / "unused")})
    remote = url(server, area)
    runner = CliRunner()

    def run(*args: str) -> object:
        return runner.invoke(main, list(args), obj=app, catch_exceptions=False)

    ssh = ("--ssh-key", str(server["key"]), "--known-hosts", str(server["known_hosts"]))

    staged = run("stage", KEY, "--source", str(src), "--target", remote, *ssh, "--json")
    assert staged.exit_code == 0, staged.output
    assert json.loads(staged.stdout)["state"] == "staged"
    listed = run("cache", "ls", "--area", remote, *ssh, "--json")
    assert [(d["doi"], d["state"], d["files"]) for d in json.loads(listed.stdout)] == [(KEY, "staged", 3)]
    (area / dataset_dirname(KEY) / "ü.txt").write_bytes(b"U\n")
    verified = run("cache", "verify", "--area", remote, *ssh)
    assert verified.exit_code == 1 and "MISMATCH 10.5555/sftp/ds ü.txt: sha256" in verified.output
    Retention(open_target(remote, options(server))).evict(KEY)
    assert DownloadArea(area).status(KEY).state == "evicted"


@pytest.mark.parametrize("known", ["missing", "other key"])
def test_an_unknown_host_key_is_refused(server: dict[str, object], src: Path, tmp_path: Path, known: str) -> None:
    """No trust on first use: a cache server whose key is not listed is never written to."""
    known_hosts = tmp_path / "known_hosts"
    if known == "other key":
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")], check=True)
        key_type, key_data = (tmp_path / "other.pub").read_text().split()[:2]
        known_hosts.write_text(f"[127.0.0.1]:{server['port']} {key_type} {key_data}\n")
    area = tmp_path / "area"
    area.mkdir()
    with pytest.raises(UnknownHostKey) as info:
        open_target(url(server, area), options(server, known_hosts))
    assert info.value.host == f"[127.0.0.1]:{server['port']}" and info.value.fingerprint
    app = create_app({"DMZPUB_DATA_DIR": str(tmp_path / "var"), "DMZPUB_DOWNLOAD_DIR": str(tmp_path / "unused")})
    result = CliRunner().invoke(
        main,
        [
            "stage",
            KEY,
            "--source",
            str(src),
            "--target",
            url(server, area),
            "--ssh-key",
            str(server["key"]),
            "--known-hosts",
            str(known_hosts),
        ],
        obj=app,
    )
    assert result.exit_code == 1 and "is not in" in result.output and "SHA256:" in result.output
    assert list(area.iterdir()) == []
