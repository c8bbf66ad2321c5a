"""A download area on a local or mounted file system: fsync'd files and folders, atomic renames, flock."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .errors import StageBusy, UnsafePath
from .targets import Target


class LocalTarget(Target):
    """A local or mounted folder: fsync'd files and folders, atomic os.replace, flock."""

    durable = True

    def info(self, path: str) -> dict[str, Any] | None:
        """Return {"size", "mtime", "type"} without following a final symlink, or None."""
        try:
            stat = os.lstat(path)
        except FileNotFoundError:
            return None
        kind = "directory" if os.path.isdir(path) and not os.path.islink(path) else "file"
        if os.path.islink(path):
            kind = "link"
        return {"size": stat.st_size, "mtime": stat.st_mtime, "type": kind}

    def identity(self, path: str) -> tuple[int, int] | None:
        """Return the file's (inode, mtime in ns): what the server compares before serving it."""
        stat = os.lstat(path)
        return stat.st_ino, stat.st_mtime_ns

    def makedirs(self, path: str) -> None:
        """Create a folder and its parents."""
        os.makedirs(path, exist_ok=True)

    def check_inside(self, base: str, path: str) -> None:
        """Raise UnsafePath if `path` resolves outside `base` through a symbolic link."""
        real_base = os.path.realpath(base)
        real = os.path.realpath(path)
        if not real.startswith(real_base + os.sep):
            raise UnsafePath(path, "a symbolic link in the download area leads outside the dataset folder")

    def listdir(self, path: str) -> list[str]:
        """Return the names in a folder ([] when it does not exist)."""
        try:
            return sorted(os.listdir(path))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def open_read(self, path: str) -> IO[bytes]:
        """Open a file for reading, refusing a final symbolic link."""
        return os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb")

    def open_write(self, path: str, offset: int = 0) -> IO[bytes]:
        """Open a file for writing from `offset`, refusing a final symbolic link."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | (0 if offset else os.O_TRUNC)
        handle = os.fdopen(os.open(path, flags, 0o644), "wb", buffering=0)
        if offset:
            handle.seek(offset)
            handle.truncate(offset)
        return handle

    def commit(self, handle: IO[bytes]) -> None:
        """Flush a written file to disk and close it."""
        try:
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            handle.close()

    def replace(self, src: str, dst: str) -> None:
        """Rename atomically and make the rename itself durable."""
        os.replace(src, dst)
        self._sync_dir(os.path.dirname(dst))

    @staticmethod
    def _sync_dir(path: str) -> None:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def remove(self, path: str) -> None:
        """Remove a file; a missing file is fine."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)

    def rmtree(self, path: str) -> None:
        """Remove a folder and everything in it."""
        shutil.rmtree(path, ignore_errors=True)

    def set_mtime(self, path: str, mtime: float) -> None:
        """Set a file's modification time."""
        os.utime(path, (mtime, mtime), follow_symlinks=False)

    def append(self, path: str, data: bytes) -> None:
        """Append to a file, creating it, refusing a symbolic link."""
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    def find(self, path: str) -> list[str]:
        """Return the full paths of every file below a folder (links not followed)."""
        return sorted(os.path.join(folder, name) for folder, _, names in os.walk(path) for name in names)

    def touch(self, path: str) -> None:
        """Create an empty file or refresh its modification time."""
        Path(path).touch()

    @contextlib.contextmanager
    def lock(self, path: str, key: str) -> Iterator[None]:
        """Hold an flock on `path`; the kernel releases it if the process dies (kill -9 included)."""
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StageBusy(key) from None
            yield
        finally:
            os.close(fd)
