"""Stage a dataset: copy every file (concurrently, resumably), then write its manifest last."""

from __future__ import annotations

import hashlib
import json
import posixpath
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime

from catalogue_core.progress import BYTES, Progress

from .area import STATE, dataset_dirname, parse_state
from .copier import CHUNK, PART_PREFIX, QUARANTINE, FileCopier
from .errors import DownloadCacheError, SourceError, StageFailed
from .manifest import (
    CHECKSUMS,
    MANIFEST,
    StagedFile,
    journal_line,
    parse_manifest,
    read_journal,
    render_checksums,
    render_manifest,
)
from .ratelimit import RateLimiter
from .sources import Source, SourceFile
from .state import STAGED, STAGING
from .targets import Target

JOURNAL = ".dmzpub-journal.jsonl"
LOCK = ".dmzpub-lock"


@dataclass
class StageReport:
    """What a stage did; `as_dict()` is the --json summary."""

    doi: str
    target: str
    files: int = 0
    copied: int = 0
    resumed: int = 0
    skipped: int = 0
    bytes_total: int = 0
    bytes_copied: int = 0
    seconds: float = 0.0
    failures: dict[str, str] = field(default_factory=dict)
    state: str = STAGING

    def as_dict(self) -> dict[str, object]:
        """Return the report as JSON-ready data."""
        return asdict(self)


class Stager:
    """Copy datasets from sources into one target download area."""

    def __init__(
        self, target: Target, jobs: int = 4, bwlimit: float | None = None, progress: Progress | None = None
    ) -> None:
        self.target = target
        self.jobs = max(1, jobs)
        self.limiter = RateLimiter(bwlimit)
        self.progress = progress or Progress()
        self._journal_lock = threading.Lock()

    def stage(
        self, key: str, source: Source, files_from: Iterable[tuple[str, str | None]] | None = None
    ) -> StageReport:
        """Stage a dataset; raise StageFailed (dataset left invisible) if any file failed."""
        started = time.monotonic()
        report = StageReport(doi=key, target=self.target.url)
        folder = self.target.path(dataset_dirname(key))
        self.target.makedirs(folder)
        with self.target.lock(posixpath.join(folder, LOCK), key):
            self._clear_evicted(folder)
            items = source.files(files_from)
            if not items:
                raise SourceError(source.url, "has no files to stage")
            report.files, report.bytes_total = len(items), sum(i.size for i in items)
            old = self._old_manifest(folder)
            done = read_journal(self.target.read_bytes(posixpath.join(folder, JOURNAL)))
            staged, todo = self._plan(folder, items, {**old, **done})
            report.skipped = len(staged)
            if any(item.path in old for item in todo):
                # Content under the served names is about to change: hide the old dataset first.
                self.target.remove(posixpath.join(folder, MANIFEST))
            self.progress.stage(f"staging {len(items)} file(s)", report.bytes_total, BYTES, len(items))
            try:
                for item in items:
                    if item.path in staged:
                        self.progress.done(item.path, item.size, "skipped")
                self._copy_all(folder, source, todo, staged, report)
            finally:
                self.progress.close()
            if report.failures:
                report.seconds = round(time.monotonic() - started, 3)
                raise StageFailed(key, report.failures)
            files = [self._identified(folder, staged[item.path]) for item in items]
            self.target.write_atomic(posixpath.join(folder, CHECKSUMS), render_checksums(files))
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            # Written last: its presence is what makes the dataset visible.
            self.target.write_atomic(posixpath.join(folder, MANIFEST), render_manifest(key, stamp, files))
            self._clean(folder, set(old) - set(staged))
        report.state = STAGED
        report.seconds = round(time.monotonic() - started, 3)
        return report

    def _identified(self, folder: str, entry: StagedFile) -> StagedFile:
        """Return the entry with its copy's identity on disk, so a file put in its place later is noticed."""
        return replace(entry, identity=self.target.identity(posixpath.join(folder, entry.path)))

    def _clear_evicted(self, folder: str) -> None:
        state = parse_state(self.target.read_bytes(posixpath.join(folder, STATE)) or b"{}")
        if state.pop("state", None) is not None:
            state.pop("evicted", None)
            self.target.write_atomic(posixpath.join(folder, STATE), json.dumps(state).encode())

    def _old_manifest(self, folder: str) -> dict[str, StagedFile]:
        data = self.target.read_bytes(posixpath.join(folder, MANIFEST))
        try:
            return {f.path: f for f in parse_manifest(data)[0]} if data else {}
        except ValueError:
            return {}

    def _plan(
        self, folder: str, items: list[SourceFile], known: dict[str, StagedFile]
    ) -> tuple[dict[str, StagedFile], list[SourceFile]]:
        """Split the files into those already in place (with their entries) and those to copy."""
        staged: dict[str, StagedFile] = {}
        todo = []
        for item in items:
            final = posixpath.join(folder, item.path)
            info = self.target.info(final)
            prev = known.get(item.path)
            in_place = info is not None and info["type"] == "file" and info["size"] == item.size
            if (
                in_place
                and prev is not None
                and prev.size == item.size
                and abs(prev.mtime - item.mtime) < 1e-3
                and item.sha256 in (None, prev.sha256)
            ):
                staged[item.path] = prev
            elif in_place and item.sha256 and self._hash(final) == item.sha256:
                # Renamed into place by a stage killed before it could journal the file.
                staged[item.path] = StagedFile(item.path, item.size, item.sha256, item.mtime)
                self._journal(folder, staged[item.path])
            else:
                todo.append(item)
        return staged, todo

    def _hash(self, path: str) -> str:
        hasher = hashlib.sha256()
        with self.target.open_read(path) as handle:
            while chunk := handle.read(CHUNK):
                hasher.update(chunk)
        return hasher.hexdigest()

    def _copy_all(
        self, folder: str, source: Source, todo: list[SourceFile], staged: dict[str, StagedFile], report: StageReport
    ) -> None:
        quarantine = self.target.path(QUARANTINE, dataset_dirname(report.doi))
        copier = FileCopier(source, self.target, folder, quarantine, self.limiter)

        def one(item: SourceFile) -> None:
            try:
                result = copier.copy(item, self.progress.item(item.path, item.size))
            except (DownloadCacheError, OSError) as exc:
                report.failures[item.path] = str(exc)
                self.progress.done(item.path, item.size, f"failed: {exc}")
                return
            staged[item.path] = result.staged
            self._journal(folder, result.staged)
            with self._journal_lock:  # counters are shared by the worker threads
                report.copied += 1
                report.resumed += bool(result.resumed_at)
                report.bytes_copied += result.copied
            self.progress.done(item.path, item.size, "resumed" if result.resumed_at else "copied")

        try:
            if self.jobs == 1 or len(todo) <= 1:
                for item in todo:
                    one(item)
                return
            with ThreadPoolExecutor(self.jobs, thread_name_prefix="dmzpub-stage") as pool:
                list(pool.map(one, todo))
        finally:
            self.target.close()
            source.close()

    def _journal(self, folder: str, entry: StagedFile) -> None:
        with self._journal_lock:
            self.target.append(posixpath.join(folder, JOURNAL), journal_line(entry))

    def _clean(self, folder: str, dropped: set[str]) -> None:
        """Remove the journal, files no longer in the dataset and leftover temporary copies."""
        self.target.remove(posixpath.join(folder, JOURNAL))
        for path in dropped:
            self.target.remove(posixpath.join(folder, path))
        for path in self.target.find(folder):
            if posixpath.basename(path).startswith((PART_PREFIX, ".dmzpub-tmp.")):
                self.target.remove(path)
