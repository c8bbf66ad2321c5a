"""Rendered sitemaps kept per store generation in files under the data dir, shared by every worker."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

# Parts asked for by arbitrary `after` keys each get a file; beyond this many names the least
# recently rendered go, so made-up keys cannot fill the disk.
MAX_FILES = 32


class SitemapCache:
    """One file per (sitemap, generation); a lock per sitemap so concurrent misses render it once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get(self, name: str, generation: int, render: Callable[[], bytes]) -> bytes:
        """Return the sitemap `name` as of `generation`: read from its file, or rendered once into it."""
        stem = hashlib.sha256(name.encode()).hexdigest()[:32]
        path = self.folder / f"{stem}-{generation}.xml"
        with contextlib.suppress(FileNotFoundError):
            return path.read_bytes()
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / f"{stem}.lock", "a") as lock:
            # Every other worker missing the same sitemap waits here, then reads what this one wrote.
            fcntl.flock(lock, fcntl.LOCK_EX)
            with contextlib.suppress(FileNotFoundError):
                return path.read_bytes()
            body = render()
            self._write(path, body)
            for old in self.folder.glob(f"{stem}-*.xml"):
                if old != path:
                    old.unlink(missing_ok=True)
        self._trim()
        return body

    def _write(self, path: Path, body: bytes) -> None:
        """Write atomically: a reader sees the whole file or none."""
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".sitemap-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(body)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _trim(self) -> None:
        files = sorted(self.folder.glob("*.xml"), key=_mtime)
        for old in files[:-MAX_FILES]:
            old.unlink(missing_ok=True)
            old.with_name(old.name.rsplit("-", 1)[0] + ".lock").unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0
