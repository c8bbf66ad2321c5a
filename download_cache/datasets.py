"""Stage a DOI's SciCat datasets through the copier: mapped folders, SciCat's file lists, SciCat's checksums."""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from catalogue_core.publisher.datasets import Dataset, ListedFile

from .area import dataset_dirname
from .errors import DownloadCacheError, NotStaged, StageFailed
from .manifest import MANIFEST, StagedFile, parse_manifest
from .open_target import open_target
from .paths import safe_relpath
from .retention import Retention
from .sftp import storage_options
from .source_map import SourceMap, Unmapped
from .sources import Source, SourceFile
from .stage import Stager, StageReport
from .state import STAGING
from .targets import Target

# SciCat leaves chkAlg free text ("md5", "sha256", "SHA-256", "blake2b"); these we can compute.
_ALGORITHMS = {"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "blake2b", "blake2s"}


def hash_name(chk_alg: str | None) -> str | None:
    """Return the hashlib name of a SciCat chkAlg, or None when we cannot compute it."""
    name = (chk_alg or "").strip().lower().replace("-", "").replace("_", "")
    name = {"sha3256": "sha3_256", "sha3512": "sha3_512"}.get(name, name)
    return name if name in _ALGORITHMS | {"sha3_256", "sha3_512"} and name in hashlib.algorithms_available else None


def subfolders(pids: Sequence[str]) -> dict[str, str]:
    """Return each dataset's folder inside the DOI's folder: none for one dataset, its PID's tail for several."""
    if len(pids) == 1:
        return {pids[0]: ""}
    tails = [pid.rstrip("/").rsplit("/", 1)[-1] for pid in pids]
    unique = len(set(tails)) == len(tails)
    return {pid: safe_relpath(tail if unique else pid.replace("/", "_")) for pid, tail in zip(pids, tails, strict=True)}


def _entry(listed: ListedFile) -> tuple[str, str | None, tuple[str, str] | None]:
    """Return (path, sha256 to verify, other checksum to verify) of one listed file."""
    algorithm = hash_name(listed.chk_alg)
    if not listed.chk or algorithm is None:
        return safe_relpath(listed.path), None, None
    if algorithm == "sha256":
        return safe_relpath(listed.path), listed.chk.lower(), None
    return safe_relpath(listed.path), None, (algorithm, listed.chk)


class DatasetsSource(Source):
    """Several mapped dataset folders read as one source, each under its own subfolder of the DOI."""

    def __init__(self, url: str, parts: dict[str, tuple[Source, list[SourceFile]]]) -> None:
        # Deliberately not Source.__init__: this source has no single root of its own.
        self.url = url
        self.parts = parts
        self.local = all(source.local for source, _ in parts.values())

    def files(self, files_from: Iterable[tuple[str, str | None]] | None = None) -> list[SourceFile]:
        """Return every listed file with its path inside the DOI's folder (`files_from` is not used)."""
        return [file for _, files in self.parts.values() for file in files]

    def open(self, path: str) -> IO[bytes]:
        """Open a file through the source of the subfolder it belongs to."""
        for prefix, (source, _) in self.parts.items():
            if not prefix:
                return source.open(path)
            if path.startswith(prefix + "/"):
                return source.open(path[len(prefix) + 1 :])
        raise DownloadCacheError(f"{path} belongs to no dataset of {self.url}")

    def close(self) -> None:
        """Close every part's connections."""
        for source, _ in self.parts.values():
            source.close()


def open_datasets(
    key: str, datasets: Sequence[Dataset], source_map: SourceMap, options: Callable[[str], dict[str, Any]]
) -> DatasetsSource:
    """Map and list every dataset; raise StageFailed naming each unmapped folder or missing file by dataset."""
    folders = subfolders([d.pid for d in datasets])
    parts: dict[str, tuple[Source, list[SourceFile]]] = {}
    failures: dict[str, str] = {}
    for dataset in datasets:
        try:
            location = source_map.resolve(dataset.source_host, dataset.source_folder)
            source = Source(location, options(location))
            entries = [_entry(f) for f in dataset.files]
            if not entries:
                raise DownloadCacheError("SciCat lists no files (no origdatablock)")
            stated = source.files([(path, sha) for path, sha, _ in entries])
        except (Unmapped, DownloadCacheError, OSError) as exc:
            failures[f"dataset {dataset.pid}"] = str(exc)
            continue
        sizes = {safe_relpath(f.path): f.size for f in dataset.files}
        changed = [f.path for f in stated if sizes.get(f.path, -1) not in (-1, f.size)]
        if changed:
            failures[f"dataset {dataset.pid}"] = f"size on disk differs from SciCat's for {', '.join(changed)}"
            source.close()
            continue
        checks = {path: check for path, _, check in entries}
        prefix = folders[dataset.pid]
        listed = [
            SourceFile(posixpath.join(prefix, f.path) if prefix else f.path, f.size, f.mtime, f.sha256, checks[f.path])
            for f in stated
        ]
        parts[prefix] = (source, listed)
    if failures:
        for source, _ in parts.values():
            source.close()
        raise StageFailed(key, failures)
    return DatasetsSource(f"scicat:{key}", parts)


def stage_datasets(
    stager: Stager,
    key: str,
    datasets: Sequence[Dataset],
    source_map: SourceMap,
    options: Callable[[str], dict[str, Any]],
) -> StageReport:
    """Stage a DOI's datasets into its folder of the download area; visible only once all are complete."""
    return stager.stage(key, open_datasets(key, datasets, source_map, options))


def evict_withdrawn(area: Retention, key: str) -> bool:
    """Remove a withdrawn DOI's files (pinned or not); return False when there was nothing to remove."""
    try:
        area.evict(key, force=True)
        return True
    except NotStaged as exc:
        if exc.state == STAGING:
            # A stage that never completed: nothing was visible, remove its partial copies.
            area.target.rmtree(area.target.path(dataset_dirname(key)))
            return True
        return False


@dataclass(frozen=True)
class Staging:
    """Where and how DOIs' datasets are staged: the download area, the source map, host keys, speed, quota."""

    area_url: str
    source_map: SourceMap
    known_hosts: str
    jobs: int = 4
    bwlimit: float | None = None
    max_bytes: int = 0

    def options(self, url: str) -> dict[str, Any]:
        """Return fsspec options for a source or the area (SFTP: the known_hosts check)."""
        return storage_options(url, None, self.known_hosts)

    def area(self) -> Target:
        """Open the download area (a fresh connection per DOI: SFTP sessions do not outlive outages)."""
        return open_target(self.area_url, self.options(self.area_url))

    def stage(self, key: str, datasets: Sequence[Dataset]) -> StageReport:
        """Stage a DOI's datasets, then keep the area under its quota (never evicting this DOI)."""
        target = self.area()
        # The DOI's folder exists from the first attempt on: its page says the files are being prepared.
        target.makedirs(target.path(dataset_dirname(key)))
        report = stage_datasets(Stager(target, self.jobs, self.bwlimit), key, datasets, self.source_map, self.options)
        Retention(target).enforce(self.max_bytes, keep={key})
        return report

    def manifest(self, key: str) -> tuple[StagedFile, ...]:
        """Return the staged files of a DOI (empty unless staged)."""
        area = self.area()
        data = area.read_bytes(posixpath.join(area.path(dataset_dirname(key)), MANIFEST))
        return parse_manifest(data)[0] if data else ()

    def evict(self, key: str) -> bool:
        """Evict a withdrawn DOI's files."""
        return evict_withdrawn(Retention(self.area()), key)
