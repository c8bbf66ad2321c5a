"""Where the copier writes: a local folder, or any fsspec URL (sftp://user@host/path) for a remote cache."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import posixpath
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import fsspec

from .errors import StageBusy, UnsafePath
from .sftp import ThreadSFTP, kind

log = logging.getLogger(__name__)


class Target:
    """A download area reached through fsspec; subclasses add durability where the protocol allows it."""

    durable = False

    def __init__(self, fs: Any, root: str, url: str) -> None:
        self.fs, self.root, self.url = fs, root.rstrip("/") or "/", url

    @staticmethod
    def open(url: str, storage_options: dict[str, Any] | None = None) -> Target:
        """Return the target for a URL or local path."""
        fs, root = fsspec.core.url_to_fs(url, **(storage_options or {}))
        protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        if protocol in ("file", "local"):
            return LocalTarget(fs, root, url)
        if protocol in ("sftp", "ssh"):
            return SFTPTarget(fs, root, url)
        return Target(fs, root, url)

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
        import shutil

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
