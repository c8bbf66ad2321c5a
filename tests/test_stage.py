"""The copier: verified, atomic, resumable staging into a local download area."""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from download_helpers import cli_env, dmzpub, make_dataset, random_bytes, sha256

from download_cache.area import DownloadArea, dataset_dirname
from download_cache.copier import QUARANTINE, RESUME_MIN, FileCopier, part_path
from download_cache.errors import StageBusy, StageFailed, UnsafePath
from download_cache.manifest import CHECKSUMS, MANIFEST
from download_cache.open_target import open_target
from download_cache.progress import LineProgress
from download_cache.retention import Retention
from download_cache.sources import Source, SourceFile
from download_cache.stage import JOURNAL, LOCK, Stager
from oai_server import create_app
from oai_server.cli import main

KEY = "10.5555/set/with-slash"
FILES = {
    "a.txt": b"alpha\n",
    "deep/er/b.bin": random_bytes(300_000, 1),
    "ü spaced ñame.dat": b"unicode\n",
    "big.bin": random_bytes(RESUME_MIN + 123_457, 2),
}


@pytest.fixture
def src(tmp_path: Path) -> Path:
    make_dataset(tmp_path / "src", FILES)
    return tmp_path / "src"


@pytest.fixture
def area(tmp_path: Path) -> Path:
    (tmp_path / "area").mkdir()
    return tmp_path / "area"


def stage(area: Path, src: Path | str, key: str = KEY, **kw: object) -> object:
    return Stager(open_target(str(area)), **kw).stage(key, Source(str(src)))


def assert_complete(area: Path, files: dict[str, bytes], key: str = KEY) -> None:
    status = DownloadArea(area).status(key)
    assert status.state == "staged"
    assert {f.path: (f.size, f.sha256) for f in status.files} == {p: (len(d), sha256(d)) for p, d in files.items()}
    folder = area / dataset_dirname(key)
    for rel, data in files.items():
        assert (folder / rel).read_bytes() == data
    check = subprocess.run(["sha256sum", "--check", "--strict", CHECKSUMS], cwd=folder, capture_output=True)
    assert check.returncode == 0, check.stdout + check.stderr
    leftovers = [p.name for p in folder.rglob("*") if p.name.startswith((".dmzpub-part", ".dmzpub-tmp"))]
    assert leftovers == [] and not (folder / JOURNAL).exists()


def test_stage_copies_every_file_and_writes_the_manifest(src: Path, area: Path) -> None:
    report = stage(area, src)
    assert (report.files, report.copied, report.skipped, report.state) == (4, 4, 0, "staged")
    assert report.bytes_copied == sum(len(d) for d in FILES.values())
    assert_complete(area, FILES)
    manifest = json.loads((area / dataset_dirname(KEY) / MANIFEST).read_text())
    assert manifest["doi"] == KEY
    entry = next(f for f in manifest["files"] if f["path"] == "a.txt")
    assert entry["mtime"] == pytest.approx((src / "a.txt").stat().st_mtime)
    assert (area / dataset_dirname(KEY) / "a.txt").stat().st_mtime == pytest.approx(entry["mtime"])


def test_restage_skips_unchanged_files_and_follows_changes(src: Path, area: Path) -> None:
    stage(area, src)
    again = stage(area, src)
    assert (again.copied, again.skipped, again.bytes_copied) == (0, 4, 0)
    (src / "a.txt").write_bytes(b"alpha, second edition\n")
    (src / "deep/er/b.bin").unlink()
    changed = stage(area, src)
    assert (changed.copied, changed.skipped) == (1, 2)
    expected = {**FILES, "a.txt": b"alpha, second edition\n"}
    del expected["deep/er/b.bin"]
    assert_complete(area, expected)
    assert not (area / dataset_dirname(KEY) / "deep/er/b.bin").exists()


def test_checksum_mismatch_quarantines_and_publishes_nothing(src: Path, area: Path) -> None:
    sums = {p: sha256(d) for p, d in FILES.items()}
    sums["deep/er/b.bin"] = "0" * 64
    (src / CHECKSUMS).write_text("".join(f"{s}  {p}\n" for p, s in sums.items()))
    with pytest.raises(StageFailed) as failed:
        stage(area, src)
    assert list(failed.value.failures) == ["deep/er/b.bin"]
    assert "does not match" in failed.value.failures["deep/er/b.bin"]
    folder = area / dataset_dirname(KEY)
    assert not (folder / MANIFEST).exists() and not (folder / "deep/er/b.bin").exists()
    assert DownloadArea(area).status(KEY).state == "quarantined"  # visitors are told, not "being prepared" forever
    quarantined = list((area / QUARANTINE / dataset_dirname(KEY)).rglob("b.bin.*"))
    assert len(quarantined) == 1 and quarantined[0].read_bytes() == FILES["deep/er/b.bin"]
    # The good files were kept: once the source is fixed, only the bad one is copied again.
    sums["deep/er/b.bin"] = sha256(FILES["deep/er/b.bin"])
    (src / CHECKSUMS).write_text("".join(f"{s}  {p}\n" for p, s in sums.items()))
    report = stage(area, src)
    assert (report.copied, report.skipped) == (1, 3)
    assert_complete(area, FILES)
    assert DownloadArea(area).status(KEY).state == "staged"


def test_a_partial_copy_is_resumed_not_restarted(src: Path, area: Path) -> None:
    target = open_target(str(area))
    folder = target.path(dataset_dirname(KEY))
    big = Source(str(src)).files([("big.bin", None)])[0]
    part = part_path(folder, "big.bin")
    os.makedirs(folder)
    copier = FileCopier(Source(str(src)), target, folder, "", Stager(target).limiter)
    Path(part + ".json").write_bytes(copier._meta(big))
    Path(part).write_bytes(FILES["big.bin"][:1_000_000])
    report = stage(area, src)
    assert report.resumed == 1
    assert report.bytes_copied == sum(len(d) for d in FILES.values()) - 1_000_000
    assert_complete(area, FILES)


def test_a_partial_copy_of_a_changed_source_starts_afresh(src: Path, area: Path) -> None:
    folder = area / dataset_dirname(KEY)
    folder.mkdir()
    part = Path(part_path(str(folder), "big.bin"))
    part.write_bytes(b"stale bytes from an older version")
    Path(str(part) + ".json").write_text(json.dumps({"size": 1, "mtime": 0, "sha256": None}))
    report = stage(area, src)
    assert report.resumed == 0
    assert_complete(area, FILES)


def test_a_file_renamed_before_the_journal_is_kept_when_its_checksum_is_listed(src: Path, area: Path) -> None:
    (src / CHECKSUMS).write_text("".join(f"{sha256(d)}  {p}\n" for p, d in FILES.items()))
    folder = area / dataset_dirname(KEY)
    make_dataset(folder, {"big.bin": FILES["big.bin"]})
    report = stage(area, src)
    assert (report.copied, report.skipped) == (3, 1)
    assert_complete(area, FILES)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../escape.txt", "'..' component"),
        ("/etc/passwd", "absolute path"),
        ("sub/./x", "'.' component"),
        ("a//b", "'empty' component"),
        ("CON", "device name"),
        ("dir/lpt1.txt", "device name"),
        ("nul.tar.gz", "device name"),
        ("C:stream", "absolute path"),
        ("back\\slash", "backslash"),
        ("bell\x07", "control character"),
        ("manifest.json", "reserved name"),
        ("SHA256SUMS", "reserved name"),
        (".dmzpub-journal.jsonl", "reserved for the copier"),
        ("trailing. ", "ends with a space or dot"),
    ],
)
def test_hostile_file_lists_are_refused_before_anything_is_copied(
    src: Path, area: Path, name: str, reason: str
) -> None:
    from download_cache.sources import parse_file_list

    with pytest.raises(UnsafePath) as refused:
        Stager(open_target(str(area))).stage(KEY, Source(str(src)), parse_file_list(f"a.txt\n{name}\n", "list"))
    assert reason in str(refused.value)
    assert not (area / dataset_dirname(KEY) / MANIFEST).exists()
    assert not (area.parent / "escape.txt").exists()


def test_a_source_link_leaving_the_dataset_is_refused(src: Path, area: Path, tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("not published")
    (src / "innocent.txt").symlink_to(tmp_path / "secret")
    with pytest.raises(UnsafePath, match="leads outside"):
        stage(area, src)
    assert not list(area.rglob("innocent.txt"))


def test_a_source_link_inside_the_dataset_is_copied_as_a_file(src: Path, area: Path) -> None:
    (src / "alias.txt").symlink_to(src / "a.txt")
    stage(area, src)
    assert_complete(area, {**FILES, "alias.txt": FILES["a.txt"]})
    assert not (area / dataset_dirname(KEY) / "alias.txt").is_symlink()


def test_linked_folders_inside_the_dataset_are_followed_once(src: Path, area: Path) -> None:
    (src / "latest").symlink_to(src / "deep" / "er")
    (src / "deep" / "er" / "loop").symlink_to(src / "deep")
    stage(area, src)
    status = DownloadArea(area).status(KEY)
    paths = {f.path for f in status.files}
    assert {"latest/b.bin", "deep/er/b.bin"} <= paths
    # The loop is walked once (through whichever link comes first), never round and round.
    assert any("loop/er/b.bin" in p for p in paths) and not any(p.count("loop") > 1 for p in paths)


def test_a_source_folder_link_leaving_the_dataset_is_refused(src: Path, area: Path, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (src / "outside").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(UnsafePath, match="leads outside"):
        stage(area, src)


def test_a_hostile_source_checksum_list_is_refused(src: Path, area: Path) -> None:
    (src / CHECKSUMS).write_text(f"{'0' * 64}  ../../etc/passwd\n")
    with pytest.raises(UnsafePath, match=r"\.\."):
        stage(area, src)


def test_a_link_planted_in_the_download_area_is_not_written_through(src: Path, area: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = area / dataset_dirname(KEY)
    folder.mkdir()
    (folder / "deep").symlink_to(outside)
    with pytest.raises(StageFailed, match="leads outside"):
        stage(area, src)
    assert list(outside.iterdir()) == []


def test_a_second_stage_of_the_same_dataset_waits_its_turn(src: Path, area: Path) -> None:
    target = open_target(str(area))
    folder = target.path(dataset_dirname(KEY))
    os.makedirs(folder)
    with target.lock(os.path.join(folder, LOCK), KEY), pytest.raises(StageBusy):
        stage(area, src)
    assert stage(area, src).state == "staged"


def test_restaging_an_evicted_dataset_makes_it_staged_again(src: Path, area: Path) -> None:
    stage(area, src)
    Retention(open_target(str(area))).evict(KEY)
    assert DownloadArea(area).status(KEY).state == "evicted"
    report = stage(area, src)
    assert report.copied == 4
    assert_complete(area, FILES)


def test_progress_lines_when_not_on_a_terminal(src: Path, area: Path) -> None:
    import io

    out = io.StringIO()
    stage(area, src, progress=LineProgress(out), jobs=2)
    lines = out.getvalue().splitlines()
    assert lines[0] == f"staging 4 file(s), {sum(len(d) for d in FILES.values())} bytes"
    assert sorted(line.split("] ")[1].split(" (")[0] for line in lines[1:]) == sorted(f"copied {p}" for p in FILES)


@pytest.fixture
def cli(tmp_path: Path) -> CliRunner:
    app = create_app({"DMZPUB_DATA_DIR": str(tmp_path / "var"), "DMZPUB_DOWNLOAD_DIR": str(tmp_path / "area")})
    runner = CliRunner()
    runner.app = app  # type: ignore[attr-defined]
    return runner


def invoke(cli: CliRunner, *args: str, input: str | None = None) -> object:
    return cli.invoke(main, list(args), obj=cli.app, input=input, catch_exceptions=False)  # type: ignore[attr-defined]


def test_cli_stage_prints_a_json_summary(cli: CliRunner, src: Path, tmp_path: Path) -> None:
    result = invoke(cli, "stage", "doi:10.5555/SET/With-Slash", "--source", str(src), "--json", "--jobs", "2")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["doi"], summary["files"], summary["copied"], summary["state"]) == (KEY, 4, 4, "staged")
    assert summary["evicted"] == []
    assert_complete(tmp_path / "area", FILES)


def test_cli_stage_reads_files_from_stdin_with_checksums(cli: CliRunner, src: Path, tmp_path: Path) -> None:
    listing = f"{sha256(FILES['a.txt'])}  a.txt\n# a comment\nbig.bin\n"
    result = invoke(cli, "stage", KEY, "--source", str(src), "--files-from", "-", "--json", input=listing)
    assert result.exit_code == 0, result.output
    assert_complete(tmp_path / "area", {"a.txt": FILES["a.txt"], "big.bin": FILES["big.bin"]})
    bad = f"{'f' * 64}  a.txt\n"
    result = cli.invoke(main, ["stage", KEY, "--source", str(src), "--files-from", "-"], obj=cli.app, input=bad)
    assert result.exit_code == 1 and "a.txt" in result.output and "does not match" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["stage", "not-a-doi", "--source", "."], "is not a DOI"),
        (["stage", KEY, "--source", "/nonexistent/folder"], "is not a folder"),
        (["stage", KEY, "--source", ".", "--bwlimit", "fast"], "is not a rate"),
        (["stage", KEY, "--source", ".", "--jobs", "0"], "0 is not in the range"),
    ],
)
def test_cli_stage_explains_bad_arguments(cli: CliRunner, args: list[str], message: str) -> None:
    result = cli.invoke(main, args, obj=cli.app)  # type: ignore[attr-defined]
    assert result.exit_code != 0 and message in result.output
    assert "Traceback" not in result.output


def _partial_state_is_safe(area: Path, files: dict[str, bytes]) -> None:
    """Whatever moment a stage died at, nothing under a real name is partial or wrong."""
    folder = area / dataset_dirname(KEY)
    if (folder / MANIFEST).exists():
        assert_complete(area, files)
        return
    assert DownloadArea(area).status(KEY).state in ("staging", "absent")
    for rel, data in files.items():
        if (folder / rel).exists():
            assert (folder / rel).read_bytes() == data


def test_kill_9_at_any_moment_then_a_rerun_completes(tmp_path: Path) -> None:
    files = {f"part{i}/chunk.bin": random_bytes(RESUME_MIN + 1000 * i, 10 + i) for i in range(4)}
    files["small.txt"] = b"small\n"
    make_dataset(tmp_path / "src", files)
    area = tmp_path / "area"
    env = cli_env(tmp_path)
    command = dmzpub("stage", KEY, "--source", str(tmp_path / "src"), "--bwlimit", "8M", "--jobs", "2", "--json")
    rng = random.Random(5)
    kills = 0
    for _ in range(6):
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Kill once copying is under way, at a random moment of it.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and process.poll() is None:
            if list(area.rglob(".dmzpub-part.*")) or (area / dataset_dirname(KEY) / JOURNAL).exists():
                break
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.4))
        if process.poll() is None:
            process.kill()
            kills += 1
        process.communicate()
        _partial_state_is_safe(area, files)
    assert kills >= 3
    rerun = dmzpub("stage", KEY, "--source", str(tmp_path / "src"), "--json")
    final = subprocess.run(rerun, env=env, capture_output=True)
    assert final.returncode == 0, final.stderr
    summary = json.loads(final.stdout)
    assert summary["skipped"] + summary["resumed"] >= 1
    assert_complete(area, files)
    verify = subprocess.run(dmzpub("cache", "verify", "--json"), env=env, capture_output=True)
    assert verify.returncode == 0 and json.loads(verify.stdout)["mismatches"] == []


def test_terminal_gets_progress_bars(tmp_path: Path, src: Path) -> None:
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        dmzpub("stage", KEY, "--source", str(src)),
        env={**cli_env(tmp_path), "COLUMNS": "100", "TERM": "xterm"},
        stdout=subprocess.PIPE,
        stderr=follower,
    )
    os.close(follower)
    screen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        screen += chunk
    out, _ = process.communicate(timeout=30)
    os.close(leader)
    assert process.returncode == 0
    assert "━" in screen.decode(errors="replace") and "all 4 file(s)" in screen.decode(errors="replace")
    assert out.decode().startswith(f"staged {KEY}: 4 file(s), 4 copied")


def test_source_files_lists_checksums_from_the_source(src: Path) -> None:
    (src / CHECKSUMS).write_text(f"{sha256(FILES['a.txt'])} *a.txt\n")
    listed = {f.path: f for f in Source(str(src)).files()}
    assert CHECKSUMS not in listed
    assert listed["a.txt"] == SourceFile("a.txt", 6, (src / "a.txt").stat().st_mtime, sha256(FILES["a.txt"]))
    assert listed["big.bin"].sha256 is None


def test_cli_stage_into_an_unusable_area_names_the_setting(src: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    app = create_app({"DMZPUB_DATA_DIR": str(tmp_path / "var"), "DMZPUB_DOWNLOAD_DIR": str(blocker / "area")})
    result = CliRunner().invoke(main, ["stage", KEY, "--source", str(src)], obj=app)
    assert result.exit_code == 1 and "check DMZPUB_DOWNLOAD_DIR" in result.output and "Traceback" not in result.output
