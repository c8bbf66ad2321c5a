"""Copy one file: temporary name, SHA-256 while copying, fsync, verify, atomic rename; resumable."""

from __future__ import annotations

import hashlib
import json
import posixpath
import time
from collections.abc import Callable
from dataclasses import dataclass

from .area import QUARANTINE  # noqa: F401  (QUARANTINE: re-exported for stage and fixity)
from .errors import ChecksumMismatch, SourceError
from .hashing import new_hash
from .manifest import StagedFile
from .ratelimit import RateLimiter
from .sources import Source, SourceFile
from .targets import Target

CHUNK = 1 << 20
PART_PREFIX = ".dmzpub-part."
# Files smaller than this are recopied rather than resumed: resuming would cost more round trips.
RESUME_MIN = 4 * CHUNK


def part_path(dataset_dir: str, relpath: str) -> str:
    """Return the temporary name a file is written under, beside its final name."""
    folder, name = posixpath.split(relpath)
    return posixpath.join(dataset_dir, folder, PART_PREFIX + name)


class _Hashes:
    """SHA-256 (always: the download area's own checksum) plus the source's algorithm when it lists another."""

    def __init__(self, other: str | None) -> None:
        self.sha256 = new_hash()
        self.other = hashlib.new(other) if other else None

    def update(self, chunk: bytes) -> None:
        self.sha256.update(chunk)
        if self.other is not None:
            self.other.update(chunk)


@dataclass(frozen=True)
class CopyResult:
    """What copying one file did."""

    staged: StagedFile
    copied: int
    resumed_at: int


@dataclass
class FileCopier:
    """Copy files of one dataset from a source into a target's dataset folder."""

    source: Source
    target: Target
    dataset_dir: str
    quarantine_dir: str
    limiter: RateLimiter

    def copy(self, item: SourceFile, progress: Callable[[int], None] = lambda n: None) -> CopyResult:
        """Copy one file into place, or raise (ChecksumMismatch quarantines the copy first)."""
        final = posixpath.join(self.dataset_dir, item.path)
        part = part_path(self.dataset_dir, item.path)
        meta = part + ".json"
        # Checked before and after creating folders: a planted link must not be written through.
        self.target.check_inside(self.dataset_dir, final)
        self.target.makedirs(posixpath.dirname(final))
        self.target.check_inside(self.dataset_dir, final)
        hasher = _Hashes(item.check[0] if item.check else None)
        offset = self._resumable(item, part, meta)
        if offset:
            with self.target.open_read(part) as done:
                remaining = offset
                while remaining and (chunk := done.read(min(CHUNK, remaining))):
                    hasher.update(chunk)
                    remaining -= len(chunk)
            progress(offset)
        elif item.size >= RESUME_MIN:
            with self.target.open_write(meta) as handle:
                handle.write(self._meta(item))
        copied = self._stream(item, part, offset, hasher, progress)
        total = offset + copied
        if total != item.size:
            self.target.remove(part)
            self.target.remove(meta)
            raise SourceError(f"{self.source.url}/{item.path}", f"changed while copying ({total} != {item.size} bytes)")
        digest = hasher.sha256.hexdigest()
        if item.sha256 and digest != item.sha256:
            raise ChecksumMismatch(item.path, item.sha256, digest, self._quarantine(item.path, part, meta))
        if item.check and hasher.other is not None and hasher.other.hexdigest() != item.check[1].lower():
            actual = hasher.other.hexdigest()
            where = self._quarantine(item.path, part, meta)
            raise ChecksumMismatch(item.path, item.check[1], actual, where, item.check[0])
        self.target.set_mtime(part, item.mtime)
        self.target.replace(part, final)
        self.target.remove(meta)
        return CopyResult(StagedFile(item.path, item.size, digest, item.mtime), copied, offset)

    @staticmethod
    def _meta(item: SourceFile) -> bytes:
        return json.dumps({"size": item.size, "mtime": item.mtime, "sha256": item.sha256}).encode()

    def _resumable(self, item: SourceFile, part: str, meta: str) -> int:
        """Return how many bytes of an earlier partial copy can be kept (0: start afresh)."""
        info = self.target.info(part)
        if info is None:
            return 0
        if (
            item.size >= RESUME_MIN
            and self.target.read_bytes(meta) == self._meta(item)
            and 0 < info["size"] <= item.size
            and info["type"] == "file"
        ):
            return info["size"]
        self.target.remove(part)
        return 0

    def _stream(self, item: SourceFile, part: str, offset: int, hasher: object, progress: Callable[[int], None]) -> int:
        """Copy the source from `offset` into the part file, hashing as it goes; return bytes copied."""
        copied = 0
        update = hasher.update  # type: ignore[attr-defined]
        take = self.limiter.take
        with self.source.open(item.path) as source:
            if offset:
                source.seek(offset)
            handle = self.target.open_write(part, offset)
            try:
                # Read past the expected end by one chunk so a file that grew is noticed.
                while chunk := source.read(CHUNK):
                    take(len(chunk))
                    update(chunk)
                    handle.write(chunk)
                    copied += len(chunk)
                    progress(len(chunk))
            except BaseException:
                handle.close()
                raise
            self.target.commit(handle)
        return copied

    def _quarantine(self, relpath: str, part: str, meta: str) -> str:
        """Move a bad copy out of the dataset folder (never served); return where it went."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        dest = posixpath.join(self.quarantine_dir, f"{relpath}.{stamp}")
        self.target.makedirs(posixpath.dirname(dest))
        self.target.replace(part, dest)
        self.target.remove(meta)
        return dest
