"""Path safety: relative paths from sources, manifests and requests never leave their dataset."""

from __future__ import annotations

import os
import posixpath
import re
import stat
import unicodedata
from pathlib import Path
from typing import BinaryIO

from .errors import UnsafePath

# Names Windows treats as devices whatever their extension; a download may land on Windows.
_DEVICE = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$", re.IGNORECASE)
_DRIVE = re.compile(r"^[A-Za-z]:")
# Files the download area keeps beside the data at the top of a dataset folder.
RESERVED_TOP = frozenset({"manifest.json", "SHA256SUMS", ".state.json"})
# Prefix of the copier's own working files (temporary copies, journal, lock, access marker).
WORK_PREFIX = ".dmzpub"
MAX_DEPTH = 64
MAX_LENGTH = 4096


def safe_relpath(path: str) -> str:
    """Return `path` checked as a relative POSIX path inside a dataset; raise UnsafePath."""
    if not isinstance(path, str) or not path:
        raise UnsafePath(str(path), "empty path")
    if len(path) > MAX_LENGTH:
        raise UnsafePath(path[:80] + "…", f"longer than {MAX_LENGTH} characters")
    # Printable ASCII (nearly every path) holds no control character nor surrogate: skip the per-character look-up.
    if not (path.isascii() and path.isprintable()) and any(unicodedata.category(c) in ("Cc", "Cs") for c in path):
        raise UnsafePath(path, "control character")
    if "\\" in path:
        raise UnsafePath(path, "backslash")
    if path.startswith("/") or _DRIVE.match(path):
        raise UnsafePath(path, "absolute path")
    parts = path.split("/")
    if len(parts) > MAX_DEPTH:
        raise UnsafePath(path, f"deeper than {MAX_DEPTH} folders")
    for part in parts:
        if part in ("", ".", ".."):
            raise UnsafePath(path, f"{part or 'empty'!r} component")
        if _DEVICE.match(part.rstrip(" .")):
            raise UnsafePath(path, f"device name {part!r}")
        if part.endswith((" ", ".")):
            raise UnsafePath(path, f"component {part!r} ends with a space or dot")
        if part.lower().startswith(WORK_PREFIX):
            raise UnsafePath(path, f"{WORK_PREFIX}* names are reserved for the copier")
    if len(parts) == 1 and path in RESERVED_TOP:
        raise UnsafePath(path, "reserved name at the top of a dataset folder")
    return path


def contained(root: Path, relpath: str) -> Path:
    """Return the real path of `relpath` under `root`; raise UnsafePath if links lead outside."""
    base = Path(os.path.realpath(root))
    target = Path(os.path.realpath(base / safe_relpath(relpath)))
    if target != base and base not in target.parents:
        raise UnsafePath(relpath, "a symbolic link leads outside the dataset folder")
    return target


def open_regular(path: str | Path, relpath: str) -> BinaryIO:
    """Open a regular file for reading; raise UnsafePath for a link or a special file (FIFO, device, socket).

    Opening a FIFO would hang the worker; a link in place of SHA256SUMS or manifest.json would serve
    whatever it points at.
    """
    try:
        fd, _ = open_fd(path, relpath)
    except OSError as exc:
        raise UnsafePath(relpath, f"cannot be opened ({exc.strerror})") from None
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def open_fd(path: str | Path, relpath: str) -> tuple[int, os.stat_result]:
    """Open a regular file as open_regular does, returning its descriptor and fstat; os.open's OSError as raised."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise UnsafePath(relpath, "not a regular file")
    return fd, info


def open_contained(root: Path, relpath: str) -> BinaryIO:
    """Open a staged file: inside its dataset folder (links resolved) and a regular file."""
    return open_regular(contained(root, relpath), relpath)


def join(*parts: str) -> str:
    """Join POSIX path parts (remote file systems always use '/')."""
    return posixpath.join(*parts)
