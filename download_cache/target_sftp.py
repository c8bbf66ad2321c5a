"""A download area on a remote cache server reached over SFTP (OpenSSH extensions for durability)."""

from __future__ import annotations

import contextlib
import logging
import posixpath
from typing import IO, Any

from .errors import UnsafePath
from .sftp import ThreadSFTP, kind
from .targets import Target

log = logging.getLogger(__name__)


class SFTPTarget(Target):
    """A remote cache server over SFTP: fsync@openssh.com and posix-rename@openssh.com, a session per thread."""

    durable = True

    def __init__(self, fs: Any, root: str, url: str) -> None:
        super().__init__(fs, root, url)
        self.sessions = ThreadSFTP(fs)

    @property
    def _sftp(self) -> Any:
        return self.sessions.get()

    def close(self) -> None:
        """Close the SFTP sessions of worker threads."""
        self.sessions.close()

    def info(self, path: str) -> dict[str, Any] | None:
        """Return {"size", "mtime", "type"} without following a final symlink, or None."""
        try:
            attrs = self._sftp.lstat(path)
        except FileNotFoundError:
            return None
        return {"size": attrs.st_size or 0, "mtime": float(attrs.st_mtime or 0), "type": kind(attrs.st_mode)}

    def makedirs(self, path: str) -> None:
        """Create a remote folder and its parents."""
        missing = []
        while path not in ("/", "") and self.info(path) is None:
            missing.append(path)
            path = posixpath.dirname(path)
        for folder in reversed(missing):
            try:
                self._sftp.mkdir(folder)
            except OSError:
                if (self.info(folder) or {}).get("type") != "directory":  # another thread may have made it
                    raise

    def listdir(self, path: str) -> list[str]:
        """Return the names in a remote folder ([] when it does not exist)."""
        try:
            return sorted(self._sftp.listdir(path))
        except FileNotFoundError:
            return []

    def remove(self, path: str) -> None:
        """Remove a remote file; a missing file is fine."""
        with contextlib.suppress(FileNotFoundError):
            self._sftp.remove(path)

    def rmtree(self, path: str) -> None:
        """Remove a remote folder and everything in it (links are removed, not followed)."""
        for name in self.listdir(path):
            full = posixpath.join(path, name)
            if (self.info(full) or {}).get("type") == "directory":
                self.rmtree(full)
            else:
                self.remove(full)
        with contextlib.suppress(FileNotFoundError):
            self._sftp.rmdir(path)

    def find(self, path: str) -> list[str]:
        """Return the full paths of every file below a remote folder (links not followed)."""
        found = []
        for name in self.listdir(path):
            full = posixpath.join(path, name)
            if (self.info(full) or {}).get("type") == "directory":
                found.extend(self.find(full))
            else:
                found.append(full)
        return sorted(found)

    def check_inside(self, base: str, path: str) -> None:
        """Raise UnsafePath if the server resolves `path` outside `base` (symbolic links included)."""
        real_base = self._sftp.normalize(base)
        parent = posixpath.dirname(path)
        while parent not in (base, "/", "") and self.info(parent) is None:  # the nearest existing folder
            parent = posixpath.dirname(parent)
        real_parent = self._sftp.normalize(parent)
        if real_parent != real_base and not real_parent.startswith(real_base.rstrip("/") + "/"):
            raise UnsafePath(path, "a symbolic link on the cache server leads outside the dataset folder")

    def open_read(self, path: str) -> IO[bytes]:
        """Open a remote file for reading with read-ahead."""
        handle = self._sftp.open(path, "rb", bufsize=1 << 20)
        handle.prefetch()
        return handle

    def open_write(self, path: str, offset: int = 0) -> IO[bytes]:
        """Open a remote file for pipelined writing from `offset` (0 truncates it)."""
        handle = self._sftp.open(path, "r+b" if offset else "wb", bufsize=1 << 20)
        handle.set_pipelined(True)
        if offset:
            handle.truncate(offset)
            handle.seek(offset)
        return handle

    def commit(self, handle: IO[bytes]) -> None:
        """Flush, ask the server to fsync (OpenSSH extension), and close."""
        from paramiko.sftp import CMD_EXTENDED

        try:
            handle.flush()
            if self.durable:
                try:
                    handle.sftp._request(CMD_EXTENDED, "fsync@openssh.com", handle.handle)  # type: ignore[attr-defined]
                except OSError as exc:  # a server without the extension: renames stay atomic, not durable
                    log.warning("%s: the SFTP server cannot fsync (%s); continuing without", self.url, exc)
                    self.durable = False
        finally:
            handle.close()

    def replace(self, src: str, dst: str) -> None:
        """Rename atomically over an existing file (posix-rename@openssh.com)."""
        self._sftp.posix_rename(src, dst)

    def _create_exclusive(self, path: str, data: bytes) -> None:
        """Create a remote file that must not exist yet (SSH_FXF_EXCL); raise FileExistsError if it does."""
        try:
            handle = self._sftp.open(path, "wxb")
        except OSError:
            if self.info(path) is not None:
                raise FileExistsError(path) from None
            raise
        with handle:
            handle.write(data)

    def set_mtime(self, path: str, mtime: float) -> None:
        """Set a remote file's modification time."""
        self._sftp.utime(path, (mtime, mtime))

    def append(self, path: str, data: bytes) -> None:
        """Append to a remote file, creating it."""
        with self._sftp.open(path, "ab") as handle:
            handle.write(data)

    def touch(self, path: str) -> None:
        """Create an empty remote file or refresh its modification time."""
        if self.info(path) is None:
            self._sftp.open(path, "wb").close()
        else:
            self._sftp.utime(path, None)
