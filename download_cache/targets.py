"""Where the copier writes: a local folder, or any fsspec URL (sftp://user@host/path) for a remote cache."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import posixpath
import socket
from collections.abc import Iterator
from typing import IO, Any

from .errors import StageBusy

log = logging.getLogger(__name__)


class Target:
    """A download area reached through fsspec; subclasses add durability where the protocol allows it."""

    durable = False

    def __init__(self, fs: Any, root: str, url: str) -> None:
        self.fs, self.root, self.url = fs, root.rstrip("/") or "/", url

    def close(self) -> None:
        """Release connections held for worker threads."""

    def path(self, *parts: str) -> str:
        """Return the full path of a file below the root."""
        return posixpath.join(self.root, *parts)

    def info(self, path: str) -> dict[str, Any] | None:
        """Return {"size", "mtime", "type"} of a path, or None when it does not exist."""
        try:
            info = self.fs.info(path)
        except FileNotFoundError:
            return None
        mtime = info.get("mtime") or info.get("modified") or info.get("created") or 0
        if hasattr(mtime, "timestamp"):
            mtime = mtime.timestamp()
        return {"size": int(info.get("size") or 0), "mtime": float(mtime), "type": info.get("type")}

    def identity(self, path: str) -> tuple[int, int] | None:
        """Return a file's (inode, mtime in ns) as the server will see it, or None when the protocol hides it."""
        return None

    def makedirs(self, path: str) -> None:
        """Create a folder and its parents."""
        self.fs.makedirs(path, exist_ok=True)

    def check_inside(self, base: str, path: str) -> None:
        """Raise UnsafePath if `path` (whose parent exists) resolves outside `base`."""

    def listdir(self, path: str) -> list[str]:
        """Return the names in a folder ([] when it does not exist)."""
        try:
            return sorted(posixpath.basename(p.rstrip("/")) for p in self.fs.ls(path, detail=False))
        except FileNotFoundError:
            return []

    def open_read(self, path: str) -> IO[bytes]:
        """Open a file for reading."""
        return self.fs.open(path, "rb")

    def open_write(self, path: str, offset: int = 0) -> IO[bytes]:
        """Open a file for writing from `offset` (0 truncates it)."""
        if offset:
            raise OSError(errno.ENOTSUP, f"{self.url} cannot resume a partial file")
        return self.fs.open(path, "wb")

    def commit(self, handle: IO[bytes]) -> None:
        """Flush a written file to stable storage and close it."""
        handle.close()

    def replace(self, src: str, dst: str) -> None:
        """Rename `src` to `dst` atomically, replacing `dst`."""
        self.fs.mv(src, dst)

    def remove(self, path: str) -> None:
        """Remove a file; a missing file is fine."""
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(path)

    def rmtree(self, path: str) -> None:
        """Remove a folder and everything in it."""
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(path, recursive=True)

    def read_bytes(self, path: str) -> bytes | None:
        """Return a small file's content, or None when it does not exist."""
        try:
            with self.open_read(path) as handle:
                return handle.read()
        except FileNotFoundError:
            return None

    def write_atomic(self, path: str, data: bytes) -> None:
        """Write a small file under a temporary name, flush it, then rename it into place."""
        temp = posixpath.join(posixpath.dirname(path), f".dmzpub-tmp.{posixpath.basename(path)}")
        handle = self.open_write(temp)
        try:
            handle.write(data)
        except BaseException:
            handle.close()
            raise
        self.commit(handle)
        self.replace(temp, path)

    def set_mtime(self, path: str, mtime: float) -> None:
        """Set a file's modification time (best effort: not every protocol can)."""

    def append(self, path: str, data: bytes) -> None:
        """Append to a file, creating it."""
        with self.fs.open(path, "ab") as handle:
            handle.write(data)

    def find(self, path: str) -> list[str]:
        """Return the full paths of every file below a folder."""
        try:
            return sorted(self.fs.find(path, withdirs=False))
        except FileNotFoundError:
            return []

    def touch(self, path: str) -> None:
        """Create an empty file or refresh its modification time."""
        self.fs.touch(path, truncate=False)

    @contextlib.contextmanager
    def lock(self, path: str, key: str) -> Iterator[None]:
        """Hold an exclusive lock file; one left by a dead process on this host is taken over."""
        mine = json.dumps({"host": socket.gethostname(), "pid": os.getpid()}).encode()
        for _ in range(2):
            try:
                self._create_exclusive(path, mine)
                break
            except FileExistsError:
                if not self._stale(self.read_bytes(path)):
                    raise StageBusy(key) from None
                self.remove(path)
        else:
            raise StageBusy(key)
        try:
            yield
        finally:
            self.remove(path)

    def _create_exclusive(self, path: str, data: bytes) -> None:
        """Create a file that must not exist yet; raise FileExistsError if it does."""
        with self.fs.open(path, "xb") as handle:
            handle.write(data)

    @staticmethod
    def _stale(data: bytes | None) -> bool:
        try:
            owner = json.loads(data or b"{}")
        except ValueError:
            return True
        if owner.get("host") != socket.gethostname():
            return False
        try:
            os.kill(int(owner.get("pid", 0)), 0)
        except (ProcessLookupError, ValueError):
            return True
        except PermissionError:
            return False
        return False
