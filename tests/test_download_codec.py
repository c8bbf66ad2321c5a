"""The download area's manifest codec and checksum: one writer and reader for every caller."""

from __future__ import annotations

import hashlib
from pathlib import Path

from download_helpers import make_dataset

from download_cache.hashing import digest_bytes, digest_file
from download_cache.manifest import (
    StagedFile,
    journal_line,
    parse_manifest,
    read_journal,
    render_checksums,
    render_manifest,
)
from download_cache.open_target import open_target
from download_cache.sources import Source
from download_cache.stage import Stager

FILES = (StagedFile("a b/Ü.h5", 3, "ab" * 32, 1.5), StagedFile("README", 0, "cd" * 32))


def test_a_rendered_manifest_reads_back_the_same_files_and_time() -> None:
    assert parse_manifest(render_manifest("10.1/x", "2025-06-03T12:00:00Z", FILES)) == (FILES, "2025-06-03T12:00:00Z")


def test_checksums_list_every_file_in_sha256sum_binary_format() -> None:
    assert render_checksums(FILES).decode() == f"{'ab' * 32} *a b/Ü.h5\n{'cd' * 32} *README\n"


def test_the_journal_reads_back_its_entries_and_ignores_torn_or_escaping_lines() -> None:
    escaping = journal_line(StagedFile("ok", 1, "ee" * 32)).replace(b'"ok"', b'"../../etc/passwd"')
    data = b"".join(journal_line(f) for f in FILES) + escaping + b'{"path": "torn'
    assert read_journal(data) == {f.path: f for f in FILES}


def test_the_stager_records_the_checksum_every_reader_computes(tmp_path: Path) -> None:
    data = b"neutrons" * 1000
    make_dataset(tmp_path / "src", {"d.bin": data})
    Stager(open_target(str(tmp_path / "area"))).stage("10.1/y", Source(str(tmp_path / "src")))
    [manifest] = (tmp_path / "area").rglob("manifest.json")
    [staged] = parse_manifest(manifest.read_bytes())[0]
    with (manifest.parent / "d.bin").open("rb") as handle:
        assert staged.sha256 == digest_file(handle, chunk=7) == digest_bytes(data) == hashlib.sha256(data).hexdigest()
