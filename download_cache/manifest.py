"""The manifest codec: how a staged file is written in manifest.json, SHA256SUMS and the stage journal.

manifest.json: {"doi": str, "staged": ISO datetime, "files": [{"path", "size", "sha256", "mtime", "ino"?, "mtime_ns"?}]}
"ino" and "mtime_ns" are the staged copy's identity on disk (local areas): a file put in its place
later, even with the same size within the same second, has another inode or nanosecond mtime.
The stage journal holds one such file entry per line. Every path read is checked
(download_cache.paths): an unsafe one makes the manifest malformed rather than name a file
outside its dataset.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from catalogue_core.urls import CHECKSUMS_NAME

from .errors import DownloadCacheError
from .paths import safe_relpath

MANIFEST = "manifest.json"
CHECKSUMS = CHECKSUMS_NAME  # its URL is catalogue_core.urls.checksums_path


@dataclass(frozen=True)
class StagedFile:
    """One published file of a dataset."""

    path: str
    size: int
    sha256: str
    mtime: float = 0.0
    # The copy's (inode, mtime in ns) when staged, where the area can tell (None: size and mtime only).
    identity: tuple[int, int] | None = None
    # The (inode, mtime in ns, size) of the manifest this entry was read from (None: not read from one).
    # Re-staging removes the manifest before replacing a listed file: a changed manifest after the
    # file was opened means the open file may be another version (areas that record no identity).
    listed_by: tuple[int, int, int] | None = field(default=None, compare=False)


def encode_entry(staged: StagedFile) -> dict[str, Any]:
    """Return the JSON entry of one staged file."""
    entry: dict[str, Any] = {"path": staged.path, "size": staged.size, "sha256": staged.sha256, "mtime": staged.mtime}
    if staged.identity is not None:
        entry["ino"], entry["mtime_ns"] = staged.identity
    return entry


def decode_entry(entry: Any) -> StagedFile:
    """Return the staged file of a JSON entry; raise KeyError, TypeError, ValueError or UnsafePath."""
    path, sha256 = safe_relpath(entry["path"]), str(entry["sha256"])
    identity = (int(entry["ino"]), int(entry["mtime_ns"])) if "ino" in entry else None
    return StagedFile(path, int(entry["size"]), sha256, float(entry.get("mtime", 0)), identity)


def parse_manifest(data: bytes | str) -> tuple[tuple[StagedFile, ...], str | None]:
    """Return the files and staging time of a manifest; raise ValueError if it is malformed or unsafe."""
    try:
        manifest = json.loads(data)
        files = tuple(decode_entry(f) for f in manifest["files"])
    except (KeyError, TypeError, AttributeError, DownloadCacheError) as exc:
        raise ValueError(f"malformed manifest: {exc}") from exc
    return files, manifest.get("staged")


def render_manifest(key: str, staged: str, files: Iterable[StagedFile]) -> bytes:
    """Return manifest.json for the dataset's files."""
    entries = [encode_entry(f) for f in files]
    return json.dumps({"doi": key, "staged": staged, "files": entries}, indent=1).encode()


def render_checksums(files: Iterable[StagedFile]) -> bytes:
    """Return SHA256SUMS in sha256sum's format (binary marker, one line per file)."""
    return "".join(f"{f.sha256} *{f.path}\n" for f in files).encode()


def journal_line(staged: StagedFile) -> bytes:
    """Return one line of the stage journal (a finished file of an interrupted stage)."""
    return (json.dumps(encode_entry(staged)) + "\n").encode()


def read_journal(data: bytes | None) -> dict[str, StagedFile]:
    """Return the files an interrupted stage finished; a torn or unsafe line is ignored."""
    done: dict[str, StagedFile] = {}
    for line in (data or b"").splitlines():
        with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError, DownloadCacheError):
            entry = decode_entry(json.loads(line))
            done[entry.path] = entry
    return done
