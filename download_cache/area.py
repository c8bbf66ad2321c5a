"""The download area on disk: one folder per dataset, visible once its manifest is written.

Layout (shared by the copier, the download routes and the landing pages)::

    <DMZPUB_DOWNLOAD_DIR>/<quote(doi key, safe="")>/
        <the dataset's files, in their relative paths>
        SHA256SUMS        sha256sum format, written just before the manifest
        manifest.json     written last and atomically; its presence makes the dataset visible
        .state.json       optional: {"state": "evicted"} or {"pinned": true}, ...

manifest.json: {"doi": str, "staged": ISO datetime, "files": [{"path", "size", "sha256", "mtime"}]}
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
STATE = ".state.json"


@dataclass(frozen=True)
class StagedFile:
    """One published file of a dataset."""

    path: str
    size: int
    sha256: str
    mtime: float = 0.0


@dataclass(frozen=True)
class DatasetStatus:
    """What the download area holds for one DOI.

    state: "staged" (files downloadable), "staging" (copy under way, nothing visible yet),
    "evicted" (was staged, removed to keep the cache under quota) or "absent".
    """

    state: str
    files: tuple[StagedFile, ...] = field(default_factory=tuple)
    staged: str | None = None

    @property
    def total_size(self) -> int:
        """Return the sum of the file sizes."""
        return sum(f.size for f in self.files)


def dataset_dirname(key: str) -> str:
    """Return the folder name of a dataset: its DOI key with every reserved character escaped."""
    return quote(key, safe="")


class DownloadArea:
    """Read-only view of the download area (the copier writes it)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def dataset_dir(self, key: str) -> Path:
        """Return the folder of a dataset (which may not exist)."""
        return self.root / dataset_dirname(key)

    def status(self, key: str) -> DatasetStatus:
        """Return the dataset's state and, when staged, its files."""
        folder = self.dataset_dir(key)
        state = {}
        with contextlib.suppress(OSError, ValueError):
            state = json.loads((folder / STATE).read_text(encoding="utf-8"))
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            if state.get("state") == "evicted":
                return DatasetStatus("evicted")
            return DatasetStatus("staging" if folder.is_dir() else "absent")
        if state.get("state") == "evicted":
            return DatasetStatus("evicted")
        files = tuple(
            StagedFile(f["path"], int(f["size"]), f["sha256"], float(f.get("mtime", 0))) for f in manifest["files"]
        )
        return DatasetStatus("staged", files, manifest.get("staged"))


# URL contract shared by the download routes and the landing pages. The DOI key keeps its
# slash; every other reserved character is percent-encoded.
def _doi_path(key: str) -> str:
    return quote(key, safe="/")


def listing_url(key: str) -> str:
    """Return the path of the dataset's file listing (HTML, or JSON by Accept/?format=json)."""
    return f"/download/{_doi_path(key)}/"


def file_url(key: str, path: str) -> str:
    """Return the path of one staged file."""
    return f"/download/{_doi_path(key)}/{quote(path, safe='/')}"


def checksums_url(key: str) -> str:
    """Return the path of the dataset's SHA256SUMS."""
    return f"/download/{_doi_path(key)}/{CHECKSUMS}"


def zip_url(key: str) -> str:
    """Return the path of the whole dataset as one streamed ZIP."""
    return f"/download/{_doi_path(key)}.zip"
