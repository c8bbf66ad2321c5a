"""A dataset's state in the download area: one rule, asked by the server, `dmzpub cache`, landing and metrics."""

from __future__ import annotations

import os
from collections.abc import Hashable
from typing import Any

from .manifest import MANIFEST, StagedFile, parse_manifest

STAGED = "staged"  # files downloadable
STAGING = "staging"  # copy under way, nothing visible yet
EVICTED = "evicted"  # was staged, removed to keep the cache under quota
QUARANTINED = "quarantined"  # not staged, and a copy failed its checksum: waiting for the facility
ABSENT = "absent"
STATES = (STAGED, STAGING, EVICTED, QUARANTINED)  # every state a dataset folder can be in

Derived = tuple[str, tuple[StagedFile, ...], str | None]


def derive(*, folder: bool, marker: dict[str, Any], manifest: bytes | None, quarantined: bool) -> Derived:
    """Return (state, files, staging time) of a dataset from what its folder holds.

    folder: the dataset folder exists; marker: its .state.json; manifest: its manifest.json
    (None when missing or unreadable); quarantined: the quarantine holds a folder of it.
    An eviction marker wins over a manifest (eviction writes it first); an unreadable manifest
    counts as none.
    """
    if marker.get("state") == EVICTED:
        return EVICTED, (), None
    if manifest is not None:
        try:
            files, staged = parse_manifest(manifest)
        except ValueError:
            pass
        else:
            return STAGED, files, staged
    if quarantined:
        return QUARANTINED, (), None
    return (STAGING if folder else ABSENT), (), None


def _stat(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def signature(folder: str, state_file: str) -> Hashable:
    """Return what changes whenever the state of the dataset in `folder` does (for caches of it).

    The copier writes manifest.json last and atomically and marks evictions in the state file,
    so their (mtime, size), and whether the folder exists, tell every state change.
    """
    manifest = _stat(os.path.join(folder, MANIFEST))
    if manifest is None and not os.path.isdir(folder):
        return None, None, False  # no folder, so no state file: most datasets, and one failing stat fewer
    return manifest, _stat(os.path.join(folder, state_file)), True
