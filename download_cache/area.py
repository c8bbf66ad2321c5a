"""The download area on disk: one folder per dataset, visible once its manifest is written.

Layout (shared by the copier, the download routes and the landing pages)::

    <DMZPUB_DOWNLOAD_DIR>/<quote(doi key, safe="")>/
        <the dataset's files, in their relative paths>
        SHA256SUMS        sha256sum format, written just before the manifest
        manifest.json     written last and atomically; its presence makes the dataset visible
        .state.json       optional: {"state": "evicted", "evicted": ISO datetime} and/or {"pinned": true}
        .dmzpub-access    empty marker whose mtime is the last download (for LRU eviction)
        .dmzpub-*         the copier's working files (temporary copies, journal, lock): never served

manifest.json and SHA256SUMS are written and read by download_cache.manifest; a dataset's state
(staged, staging, evicted, quarantined) is derived by download_cache.state.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from .errors import UnsafePath
from .manifest import MANIFEST, StagedFile, parse_manifest
from .paths import contained, open_fd
from .state import ABSENT, EVICTED, STAGING, derive, signature

STATE = ".state.json"
# Files that failed their checksum are moved here, one folder per dataset, never served.
QUARANTINE = ".dmzpub-quarantine"
ACCESS = ".dmzpub-access"
# The server refreshes a dataset's access marker at most this often (seconds).
ACCESS_RESOLUTION = 60.0
# Larger manifests or state files are not read (a million files make a manifest of ~150 MB).
MAX_METADATA_BYTES = 256 << 20
_READ_ON = 64 << 10  # read_regular's reads past the size the file had (from the heap: no mmap per read)


@dataclass(frozen=True)
class DatasetStatus:
    """What the download area holds for one DOI (state: one of download_cache.state.STATES or ABSENT)."""

    state: str
    files: tuple[StagedFile, ...] = field(default_factory=tuple)
    staged: str | None = None
    pinned: bool = False

    @property
    def total_size(self) -> int:
        """Return the sum of the file sizes."""
        return sum(f.size for f in self.files)


# Characters quote() never escapes, and the slash it escapes as %2F: nearly every DOI key is only these.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.~/-]*")


def dataset_dirname(key: str) -> str:
    """Return the folder name of a dataset: its DOI key with every reserved character escaped."""
    if _PLAIN_KEY.fullmatch(key):  # quote's own result, ~10x cheaper: a landing page asks twice per page
        return key.replace("/", "%2F")
    return quote(key, safe="")


def dataset_key(dirname: str) -> str:
    """Return the DOI key of a dataset folder name (the inverse of dataset_dirname)."""
    return unquote(dirname)


def read_metadata(folder: str | Path, name: str) -> bytes:
    """Return a dataset's own file (manifest, state) if it is a regular file, not a link; raise OSError."""
    return read_regular(os.path.join(folder, name), name)[0]


def read_regular(path: str, name: str) -> tuple[bytes, os.stat_result]:
    """Return a dataset's own file (at most MAX_METADATA_BYTES) and its fstat; raise OSError (FileNotFoundError)."""
    try:
        fd, info = open_fd(path, name)
    except UnsafePath as exc:
        raise OSError(str(exc)) from None
    try:
        # os.read by the file's size, not a buffered read(MAX_METADATA_BYTES): that allocated 256 MiB per
        # call (~60 us on every staged page not cached). Then on to the end, as that read, should it have
        # grown: in small reads (os.read allocates what it is asked for, ~1 ms for 1 MiB).
        chunks = [os.read(fd, min(info.st_size + 1, MAX_METADATA_BYTES))]
        left = MAX_METADATA_BYTES - len(chunks[0])
        while chunks[-1] and left > 0:
            chunks.append(os.read(fd, min(left, _READ_ON)))
            left -= len(chunks[-1])
        return b"".join(chunks), info
    finally:
        os.close(fd)


def parse_state(data: bytes | str) -> dict[str, Any]:
    """Return the content of .state.json; an unreadable one counts as empty."""
    with contextlib.suppress(ValueError):
        state = json.loads(data)
        if isinstance(state, dict):
            return state
    return {}


_NO_FOLDER = (None, None, False)  # signature()'s "no folder"
_ABSENT = DatasetStatus(ABSENT)  # what _status gives a dataset without folder nor quarantine (frozen: shared)


class DownloadArea:
    """Read-only view of the download area (the copier writes it)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._prefix = os.path.join(self.root, "")  # root + "/": dataset paths joined without posixpath (page_status)
        self._lock = threading.Lock()
        self._indexes: dict[str, tuple[tuple[int, int, int], dict[str, StagedFile]]] = {}
        self._touched: dict[str, float] = {}

    def dataset_dir(self, key: str) -> Path:
        """Return the folder of a dataset (which may not exist)."""
        return self.root / dataset_dirname(key)

    def status(self, key: str) -> DatasetStatus:
        """Return the dataset's state (download_cache.state) and, when staged, its files."""
        # str paths and os.path: every landing page not cached asks, and pathlib costs several times more.
        name = dataset_dirname(key)
        exists = os.path.isdir(os.path.join(self.root, name))
        marker: dict[str, Any] = {}
        manifest: bytes | None = None
        if exists:  # most datasets have no folder: landing pages ask for each, so skip two failing opens
            folder = os.path.join(self.root, name)  # a str: a Path cost ~40 us a staged page in str()
            with contextlib.suppress(OSError):
                marker = parse_state(read_metadata(folder, STATE))
            with contextlib.suppress(OSError):
                manifest = read_metadata(folder, MANIFEST)
        return self._status(name, exists, marker, manifest)

    def _status(self, name: str, exists: bool, marker: dict[str, Any], manifest: bytes | None) -> DatasetStatus:
        state, files, staged = derive(folder=exists, marker=marker, manifest=manifest, quarantined=False)
        # derive asks the quarantine last, so it only decides what would be staging or absent: a staged
        # dataset's page skips its stat.
        if state in (STAGING, ABSENT) and os.path.isdir(os.path.join(self.root, QUARANTINE, name)):
            state, files, staged = derive(folder=exists, marker=marker, manifest=manifest, quarantined=True)
        return DatasetStatus(state, files, staged, bool(marker.get("pinned")))

    def signature(self, key: str) -> Hashable:
        """Return what changes whenever the dataset's state does (landing keys its page cache on it)."""
        return signature(os.path.join(self.root, dataset_dirname(key)), STATE)  # str join: cheaper than pathlib

    def page_status(self, key: str) -> tuple[Hashable, DatasetStatus]:
        """Return (signature(key), status(key)), reading each of the dataset's files once.

        A landing page not cached asks both: the fstat of the manifest and state file read for the
        status gives the signature (two stats and a folder check fewer). A link, a special or an
        unreadable file takes the two reads as before.
        """
        name = dataset_dirname(key)
        folder = self._prefix + name  # os.path.join's result: a folder name holds no "/" (dataset_dirname)
        if not os.access(folder, os.F_OK):  # most datasets: no folder, told without an exception (below)
            return _NO_FOLDER, self._absent(name)
        try:
            manifest, info = read_regular(os.path.join(folder, MANIFEST), MANIFEST)
        except FileNotFoundError:
            if not os.path.isdir(folder):
                return _NO_FOLDER, self._status(name, False, {}, None)
            manifest, listed = None, None
        except OSError:
            return self.signature(key), self.status(key)
        else:
            listed = (info.st_mtime_ns, info.st_size)  # what signature() reads with os.stat
        try:
            data, info = read_regular(os.path.join(folder, STATE), STATE)
        except FileNotFoundError:
            marker, state = {}, None
        except OSError:
            return self.signature(key), self.status(key)
        else:
            marker, state = parse_state(data), (info.st_mtime_ns, info.st_size)
        return (listed, state, True), self._status(name, True, marker, manifest)

    def _absent(self, name: str) -> DatasetStatus:
        """Return _status(name, False, {}, None): absent unless the quarantine holds the dataset."""
        # A page of a dataset never staged (most pages) made three failing system calls and raised three
        # exceptions (the manifest's open, the folder's and the quarantine's isdir): now two access() calls.
        if os.access(f"{self._prefix}{QUARANTINE}/{name}", os.F_OK):
            return self._status(name, False, {}, None)  # isdir decides, as for any dataset
        return _ABSENT

    def keys(self) -> list[str]:
        """Return the DOI keys of every dataset folder (any state), sorted."""
        try:
            names = [e.name for e in os.scandir(self.root) if e.is_dir(follow_symlinks=False)]
        except OSError:
            return []
        return sorted(dataset_key(n) for n in names if not n.startswith("."))

    def index(self, key: str) -> dict[str, StagedFile] | None:
        """Return the staged files by path, or None unless the dataset is staged (cached per manifest)."""
        folder = self.dataset_dir(key)
        try:
            stat = (folder / MANIFEST).lstat()
        except OSError:
            return None
        with contextlib.suppress(OSError):
            if parse_state(read_metadata(folder, STATE)).get("state") == EVICTED:
                return None
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._indexes.get(key)
        if cached and cached[0] == stamp:
            return cached[1]
        try:
            files, _ = parse_manifest(read_metadata(folder, MANIFEST))
        except (OSError, ValueError):
            return None
        index = {f.path: replace(f, listed_by=stamp) for f in files}
        with self._lock:
            self._indexes[key] = (stamp, index)
        return index

    def locate(self, key: str, relpath: str) -> Path:
        """Return the real path of a staged file; raise UnsafePath if it would leave the dataset."""
        return contained(self.dataset_dir(key), relpath)

    def touch(self, key: str) -> None:
        """Record a download of the dataset (for least-recently-downloaded eviction)."""
        now = time.monotonic()
        with self._lock:
            if now - self._touched.get(key, -ACCESS_RESOLUTION) < ACCESS_RESOLUTION:
                return
            self._touched[key] = now
        marker = self.dataset_dir(key) / ACCESS
        # A read-only download area still serves; eviction then falls back to staging times.
        with contextlib.suppress(OSError):
            marker.touch()
