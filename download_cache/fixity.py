"""Fixity: re-hash staged files against their manifests and report every mismatch."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from .area import dataset_dirname
from .copier import CHUNK, QUARANTINE
from .errors import UnsafePath
from .hashing import digest_file
from .manifest import MANIFEST, journal_line, parse_manifest
from .stage import JOURNAL
from .targets import Target


@dataclass(frozen=True)
class Mismatch:
    """One staged file that no longer matches its manifest."""

    doi: str
    path: str
    problem: str


@dataclass
class FixityReport:
    """What a verify run checked and found."""

    datasets: int = 0
    files: int = 0
    bytes: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """Return JSON-ready data."""
        return asdict(self)


def verify(target: Target, keys: Iterable[str], quarantine: bool = False) -> FixityReport:
    """Re-hash every file of the staged datasets named; with `quarantine`, withdraw bad files."""
    report = FixityReport()
    for key in keys:
        folder = target.path(dataset_dirname(key))
        data = target.read_bytes(posixpath.join(folder, MANIFEST))
        if data is None:
            continue
        try:
            files, _ = parse_manifest(data)
        except ValueError as exc:
            report.mismatches.append(Mismatch(key, MANIFEST, str(exc)))
            continue
        report.datasets += 1
        bad = []
        for staged in files:
            problem = _check(target, folder, staged.path, staged.size, staged.sha256)
            report.files += 1
            report.bytes += staged.size
            if problem:
                report.mismatches.append(Mismatch(key, staged.path, problem))
                bad.append(staged.path)
        if bad and quarantine:
            _withdraw(target, key, folder, files, bad, report)
    return report


def _check(target: Target, folder: str, relpath: str, size: int, sha256: str) -> str | None:
    full = posixpath.join(folder, relpath)
    try:
        target.check_inside(folder, full)
    except UnsafePath as exc:
        return exc.reason
    info = target.info(full)
    if info is None:
        return "missing"
    if info["type"] != "file":
        return f"not a regular file ({info['type']})"
    if info["size"] != size:
        return f"size {info['size']} != manifest {size}"
    with target.open_read(full) as handle:
        digest = digest_file(handle, CHUNK)
    if digest != sha256:
        return f"sha256 {digest} != manifest {sha256}"
    return None


def _withdraw(target: Target, key: str, folder: str, files: tuple, bad: list[str], report: FixityReport) -> None:
    """Hide the dataset, move bad files to quarantine, keep the good ones for the next stage."""
    journal = b"".join(journal_line(f) for f in files if f.path not in bad)
    target.write_atomic(posixpath.join(folder, JOURNAL), journal)
    target.remove(posixpath.join(folder, MANIFEST))
    for path in bad:
        full = posixpath.join(folder, path)
        if target.info(full) is not None:
            dest = target.path(QUARANTINE, dataset_dirname(key), path + ".fixity")
            target.makedirs(posixpath.dirname(dest))
            target.replace(full, dest)
            report.quarantined.append(dest)
