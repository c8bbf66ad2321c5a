"""A landing page's one read of a dataset (page_status) gives what signature() and status() give, in every state."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from landing_data import mark, stage

from download_cache import area as area_module
from download_cache.area import MAX_METADATA_BYTES, QUARANTINE, STATE, DatasetStatus, DownloadArea, read_metadata
from download_cache.manifest import MANIFEST

KEY = "10.1234/Read-Once"


def _link_manifest(folder: Path) -> None:
    (folder / "elsewhere.json").write_bytes((folder / MANIFEST).read_bytes())
    (folder / MANIFEST).unlink()
    (folder / MANIFEST).symlink_to("elsewhere.json")


def _link_state(folder: Path) -> None:
    (folder / "evicted.json").write_text(json.dumps({"state": "evicted"}))
    (folder / STATE).symlink_to("evicted.json")


def _fifo_manifest(folder: Path) -> None:
    (folder / MANIFEST).unlink()
    os.mkfifo(folder / MANIFEST)


# Each puts the dataset folder (staged first, unless it removes it) into one state the area can be in.
STATES: dict[str, Callable[[Path, Path], None]] = {
    "absent": lambda root, folder: shutil.rmtree(folder),
    "staging": lambda root, folder: (folder / MANIFEST).unlink(),
    "staged": lambda root, folder: None,
    "staged and pinned": lambda root, folder: (folder / STATE).write_text('{"pinned": true}'),
    "evicted, manifest kept": lambda root, folder: mark(root, KEY, "evicted"),
    "evicted": lambda root, folder: ((folder / MANIFEST).unlink(), mark(root, KEY, "evicted")),
    "malformed manifest": lambda root, folder: (folder / MANIFEST).write_text("{not json"),
    "unsafe manifest": lambda root, folder: (folder / MANIFEST).write_text('{"files": [{"path": "../x"}]}'),
    "manifest is a folder": lambda root, folder: ((folder / MANIFEST).unlink(), (folder / MANIFEST).mkdir()),
    "manifest is a link": lambda root, folder: _link_manifest(folder),
    "manifest is a FIFO": lambda root, folder: _fifo_manifest(folder),
    "state file is a link": lambda root, folder: _link_state(folder),
    "unreadable state file": lambda root, folder: (folder / STATE).write_text("[1, 2"),
    "quarantined, no folder": lambda root, folder: (
        shutil.rmtree(folder),
        (root / QUARANTINE / folder.name).mkdir(parents=True),
    ),
    "quarantined, folder left": lambda root, folder: (
        (folder / MANIFEST).unlink(),
        (root / QUARANTINE / folder.name).mkdir(parents=True),
    ),
    "quarantined, staged again": lambda root, folder: (root / QUARANTINE / folder.name).mkdir(parents=True),
    "a file in the quarantine, no folder": lambda root, folder: (
        shutil.rmtree(folder),
        (root / QUARANTINE).mkdir(),
        (root / QUARANTINE / folder.name).write_text(""),
    ),
    "a file in place of the folder": lambda root, folder: (shutil.rmtree(folder), folder.write_text("")),
}


@pytest.mark.parametrize("state", STATES)
def test_page_status_is_signature_then_status(tmp_path: Path, state: str) -> None:
    view = DownloadArea(tmp_path)
    stage(tmp_path, KEY)
    STATES[state](tmp_path, view.dataset_dir(KEY))
    assert view.page_status(KEY) == (view.signature(KEY), view.status(KEY))


def test_every_state_has_its_own_page_status(tmp_path: Path) -> None:
    seen = set()
    for state in ("absent", "staging", "staged", "staged and pinned", "evicted"):
        shutil.rmtree(tmp_path, ignore_errors=True)
        tmp_path.mkdir()
        stage(tmp_path, KEY)
        STATES[state](tmp_path, DownloadArea(tmp_path).dataset_dir(KEY))
        signature, status = DownloadArea(tmp_path).page_status(KEY)
        seen.add(signature)
        assert status.state == state.split()[0]
    assert len(seen) == 5


def test_page_status_reads_each_file_once_and_stats_nothing_of_a_staged_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = DownloadArea(tmp_path)
    stage(tmp_path, KEY)
    calls: list[str] = []
    for name in ("stat", "open"):
        original = getattr(os, name)
        monkeypatch.setattr(os, name, lambda *a, _f=original, _n=name, **k: (calls.append(_n), _f(*a, **k))[1])
    signature, status = view.page_status(KEY)
    assert calls == ["open", "open"]  # the manifest, then the (missing) state file
    assert status.state == "staged" and len(status.files) == 5 and signature == view.signature(KEY)


def test_page_status_of_a_dataset_never_staged_opens_and_stats_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = DownloadArea(tmp_path)
    calls: list[str] = []
    for name in ("stat", "open"):
        original = getattr(os, name)
        monkeypatch.setattr(os, name, lambda *a, _f=original, _n=name, **k: (calls.append(_n), _f(*a, **k))[1])
    signature, status = view.page_status(KEY)
    assert calls == []  # two access() calls: the folder's and the quarantine's
    assert (signature, status) == ((None, None, False), DatasetStatus("absent"))
    assert (signature, status) == (view.signature(KEY), view.status(KEY))


def test_metadata_is_read_whole_up_to_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "big").write_bytes(b"x" * 3000)
    assert read_metadata(tmp_path, "big") == b"x" * 3000
    monkeypatch.setattr(area_module, "_READ_ON", 7)  # read on in reads of 7 bytes past the size it had
    grown = tmp_path / "grown"
    grown.write_bytes(b"y" * 10)
    real_read = os.read

    def growing(fd: int, size: int) -> bytes:  # the file grows while it is read (a manifest rewritten in place)
        data = real_read(fd, size)
        if data.startswith(b"y" * 10):
            with grown.open("ab") as handle:
                handle.write(b"z" * 20)
        return data

    monkeypatch.setattr(os, "read", growing)
    assert read_metadata(tmp_path, "grown") == b"y" * 10 + b"z" * 20
    monkeypatch.setattr(os, "read", real_read)
    monkeypatch.setattr(area_module, "MAX_METADATA_BYTES", 1000)
    assert read_metadata(tmp_path, "big") == b"x" * 1000  # a longer file is cut there, as before
    (tmp_path / "empty").write_bytes(b"")
    assert read_metadata(tmp_path, "empty") == b""
    with pytest.raises(FileNotFoundError):
        read_metadata(tmp_path, "missing")
    (tmp_path / "link").symlink_to("big")
    with pytest.raises(OSError, match=r"symbolic links"):
        read_metadata(tmp_path, "link")
    assert MAX_METADATA_BYTES == 256 << 20


@pytest.mark.parametrize("spelling", ["as is", "trailing slash", "relative"])
@pytest.mark.parametrize("state", ["absent", "staged", "quarantined, no folder"])
def test_page_status_joins_paths_as_os_path_join_for_any_spelling_of_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: str, state: str
) -> None:
    stage(tmp_path, KEY)
    STATES[state](tmp_path, DownloadArea(tmp_path).dataset_dir(KEY))
    monkeypatch.chdir(tmp_path)
    root = {"as is": str(tmp_path), "trailing slash": f"{tmp_path}/", "relative": "."}[spelling]
    view = DownloadArea(root)
    assert view.page_status(KEY) == (view.signature(KEY), view.status(KEY))
    assert view.page_status(KEY)[1].state == DownloadArea(tmp_path).status(KEY).state
