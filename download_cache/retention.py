"""Quota and retention: list datasets, pin them, evict the least recently downloaded ones."""

from __future__ import annotations

import json
import logging
import posixpath
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from .area import ACCESS, QUARANTINE, STATE, dataset_dirname, dataset_key, parse_state
from .errors import NotStaged
from .manifest import MANIFEST
from .state import EVICTED, STAGED, derive
from .targets import Target

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatasetInfo:
    """One dataset folder of a download area, for `dmzpub cache ls` and eviction."""

    doi: str
    state: str
    files: int
    size: int
    pinned: bool
    staged: str | None
    last_access: float

    def as_dict(self) -> dict[str, object]:
        """Return JSON-ready data (last access as an ISO time)."""
        data = asdict(self)
        data["last_access"] = _iso(self.last_access) if self.last_access else None
        return data


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(iso: str | None) -> float:
    try:
        return datetime.strptime(iso or "", "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return 0.0


class Retention:
    """Datasets of one download area (local or remote) and the operations that keep it in quota."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def keys(self) -> list[str]:
        """Return the DOI keys of every dataset folder."""
        return sorted(dataset_key(n) for n in self.target.listdir(self.target.root) if not n.startswith("."))

    def info(self, key: str) -> DatasetInfo:
        """Return what the area holds for one DOI (its state by download_cache.state, as the server sees it)."""
        folder = self.target.path(dataset_dirname(key))
        marker = parse_state(self.target.read_bytes(posixpath.join(folder, STATE)) or b"{}")
        pinned = bool(marker.get("pinned"))
        exists = self.target.info(folder) is not None
        quarantined = self.target.info(self.target.path(QUARANTINE, dataset_dirname(key))) is not None
        manifest = self.target.read_bytes(posixpath.join(folder, MANIFEST)) if exists else None
        state, files, staged = derive(folder=exists, marker=marker, manifest=manifest, quarantined=quarantined)
        if state == EVICTED:
            return DatasetInfo(key, state, 0, 0, pinned, None, _epoch(marker.get("evicted")))
        if state != STAGED:
            return DatasetInfo(key, state, 0, 0, pinned, None, 0.0)
        access = self.target.info(posixpath.join(folder, ACCESS))
        # Never downloaded: its staging time stands in, so a fresh dataset is not evicted first.
        last = access["mtime"] if access else _epoch(staged)
        return DatasetInfo(key, state, len(files), sum(f.size for f in files), pinned, staged, last)

    def datasets(self) -> list[DatasetInfo]:
        """Return every dataset of the area."""
        return [self.info(key) for key in self.keys()]

    def pin(self, key: str, pinned: bool = True) -> None:
        """Pin a dataset (never evicted) or unpin it."""
        folder = self.target.path(dataset_dirname(key))
        if self.target.info(folder) is None:
            raise NotStaged(key, "absent")
        path = posixpath.join(folder, STATE)
        state = parse_state(self.target.read_bytes(path) or b"{}")
        state["pinned"] = pinned
        self.target.write_atomic(path, json.dumps(state).encode())

    def evict(self, key: str, force: bool = False) -> int:
        """Remove a staged dataset's files, keep it known as evicted; return the bytes freed."""
        info = self.info(key)
        if info.state not in (STAGED, EVICTED):
            raise NotStaged(key, info.state)
        if info.pinned and not force:
            raise NotStaged(key, "pinned (unpin it or use --force)")
        folder = self.target.path(dataset_dirname(key))
        path = posixpath.join(folder, STATE)
        state = parse_state(self.target.read_bytes(path) or b"{}")
        if state.get("state") != EVICTED:
            state.update(state=EVICTED, evicted=_iso(time.time()))
            # The state goes first: from here on nothing of the dataset is served, even if we die.
            self.target.write_atomic(path, json.dumps(state).encode())
        for name in self.target.listdir(folder):
            if name != STATE:
                full = posixpath.join(folder, name)
                kind = (self.target.info(full) or {}).get("type")
                self.target.rmtree(full) if kind == "directory" else self.target.remove(full)
        return info.size

    def enforce(self, max_bytes: int, keep: Iterable[str] = ()) -> list[str]:
        """Evict the least recently downloaded unpinned datasets until the area fits; return their DOIs."""
        if max_bytes <= 0:
            return []
        staged = [d for d in self.datasets() if d.state == STAGED]
        total = sum(d.size for d in staged)
        keep = set(keep)
        evicted = []
        for dataset in sorted(staged, key=lambda d: (d.last_access, d.doi)):
            if total <= max_bytes:
                break
            if dataset.pinned or dataset.doi in keep:
                continue
            total -= self.evict(dataset.doi)
            evicted.append(dataset.doi)
            log.info("evicted %s (%d bytes) to keep the cache under %d bytes", dataset.doi, dataset.size, max_bytes)
        if total > max_bytes:
            log.warning("download area holds %d bytes, over its quota of %d: the rest is pinned", total, max_bytes)
        return evicted
