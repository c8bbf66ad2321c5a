"""Where the copier reads: a local or mounted folder, or any fsspec URL (sftp://user@host/path)."""

from __future__ import annotations

import logging
import os
import posixpath
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

import fsspec

from .errors import SourceError, UnsafePath
from .manifest import CHECKSUMS
from .paths import safe_relpath
from .sftp import ThreadSFTP

log = logging.getLogger(__name__)
_SUM_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")


@dataclass(frozen=True)
class SourceFile:
    """One file to stage: its path in the dataset, size, mtime and, when the source lists one, its SHA-256."""

    path: str
    size: int
    mtime: float
    sha256: str | None = None
    # A second checksum the source lists in another algorithm (SciCat's chkAlg), as (hashlib name, hex).
    check: tuple[str, str] | None = None


def parse_checksums(text: str, where: str) -> dict[str, str]:
    """Return {path: sha256} from sha256sum output; raise SourceError or UnsafePath on a bad line."""
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = _SUM_LINE.match(line)
        if not match:
            raise SourceError(f"{where}:{number}", "not a sha256sum line ('<64 hex digits>  <path>')")
        sums[safe_relpath(match.group(2))] = match.group(1).lower()
    return sums


def parse_file_list(text: str, where: str) -> list[tuple[str, str | None]]:
    """Return (path, sha256 or None) per line of a --files-from list (plain paths or sha256sum lines)."""
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = _SUM_LINE.match(line)
        try:
            path = safe_relpath(match.group(2) if match else line)
        except UnsafePath as exc:
            raise UnsafePath(exc.path, f"{exc.reason} ({where}:{number})") from None
        entries.append((path, match.group(1).lower() if match else None))
    return entries


class Source:
    """A dataset's files at a source URL; every path is checked before it is read."""

    def __init__(self, url: str, storage_options: dict[str, Any] | None = None) -> None:
        self.url = url
        self.fs, root = fsspec.core.url_to_fs(url, **(storage_options or {}))
        protocol = self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0]
        self.local = protocol in ("file", "local")
        self.sftp = protocol in ("sftp", "ssh")
        self.sessions = ThreadSFTP(self.fs) if self.sftp else None
        self.root = os.path.realpath(root) if self.local else root.rstrip("/")
        if self.local and not os.path.isdir(self.root):
            raise SourceError(url, "is not a folder")
        if not self.local and not self.fs.isdir(self.root):
            raise SourceError(url, "is not a folder")

    def files(self, files_from: Iterable[tuple[str, str | None]] | None = None) -> list[SourceFile]:
        """Return the files to stage (all, or those listed) with the checksums the source lists."""
        listed_sums = self._listed_checksums()
        if files_from is None:
            found = self._walk()
            entries: list[tuple[str, str | None]] = [(path, None) for path in sorted(found)]
        else:
            entries = list(files_from)
            found = {path: self._stat(path) for path, _ in entries}
        seen: set[str] = set()
        result = []
        for path, sha in entries:
            if path in seen:
                continue
            seen.add(path)
            size, mtime = found[path]
            result.append(SourceFile(safe_relpath(path), size, mtime, sha or listed_sums.get(path)))
        return result

    def open(self, path: str) -> IO[bytes]:
        """Open a source file for reading."""
        full = posixpath.join(self.root, path)
        if self.local:
            return open(os.path.realpath(full), "rb")  # checked inside the root by files()
        if self.sessions is not None:
            handle = self.sessions.get().open(full, "rb", bufsize=1 << 20)
            handle.prefetch()
            return handle
        return self.fs.open(full, "rb", block_size=1 << 20)

    def close(self) -> None:
        """Release connections held for worker threads."""
        if self.sessions is not None:
            self.sessions.close()

    def _listed_checksums(self) -> dict[str, str]:
        full = posixpath.join(self.root, CHECKSUMS)
        try:
            with self.fs.open(full, "rb") as handle:
                text = handle.read().decode("utf-8")
        except FileNotFoundError:
            return {}
        except UnicodeDecodeError:
            raise SourceError(full, "is not UTF-8 text") from None
        return parse_checksums(text, full)

    def _walk(self) -> dict[str, tuple[int, float]]:
        if not self.local:
            found = {}
            for full, info in self.fs.find(self.root, detail=True, withdirs=False).items():
                rel = posixpath.relpath(full, self.root)
                if rel == CHECKSUMS:
                    continue
                found[safe_relpath(rel)] = self._stat(rel, info)
            return found
        found = {}
        visited = {os.path.realpath(self.root)}
        for folder, dirs, names in os.walk(self.root, followlinks=True):
            for name in list(dirs):
                if os.path.islink(os.path.join(folder, name)):
                    real = self._inside(os.path.relpath(os.path.join(folder, name), self.root))
                    if real in visited or any(real.startswith(v + os.sep) for v in visited if v != self.root):
                        dirs.remove(name)  # each linked folder is walked once: loops end here
                        continue
                    visited.add(real)
            for name in names:
                rel = os.path.relpath(os.path.join(folder, name), self.root).replace(os.sep, "/")
                if rel == CHECKSUMS:
                    continue
                found[safe_relpath(rel)] = self._stat(rel)
        return found

    def _inside(self, rel: str) -> str:
        full = posixpath.join(self.root, rel)
        real = os.path.realpath(full) if self.local else self.fs.ftp.normalize(full) if self.sftp else full
        if not real.startswith(self.root.rstrip("/") + "/"):
            raise UnsafePath(rel, "a symbolic link in the source leads outside the dataset folder")
        return real

    def _stat(self, rel: str, info: dict[str, Any] | None = None) -> tuple[int, float]:
        real = self._inside(safe_relpath(rel))
        if self.local:
            try:
                st = os.stat(real)
            except FileNotFoundError:
                raise SourceError(f"{self.url}/{rel}", "no such file") from None
            if not stat.S_ISREG(st.st_mode):
                raise UnsafePath(rel, "not a regular file")
            return st.st_size, st.st_mtime
        try:
            info = info or self.fs.info(real)
        except FileNotFoundError:
            raise SourceError(f"{self.url}/{rel}", "no such file") from None
        if info.get("type") != "file":
            raise UnsafePath(rel, "not a regular file")
        mtime = info.get("mtime") or info.get("modified") or info.get("created") or 0
        return int(info["size"]), float(mtime.timestamp() if hasattr(mtime, "timestamp") else mtime)
