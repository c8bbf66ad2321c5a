"""Files follow the record: a durable list of DOIs to stage or evict, worked off beside record delivery.

The publisher notes each published DOI with its dataset PIDs and each withdrawn DOI here
(`DMZPUB_DATA_DIR/files.sqlite`); a background thread stages or evicts them one at a time,
so staging never holds up record delivery. A failure is retried later with a growing wait;
a killed process resumes from the list (the copier itself resumes partial copies).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from catalogue_core.publisher.datasets import Dataset

from .stage import StageReport

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    key TEXT PRIMARY KEY,
    doi TEXT NOT NULL,
    pids TEXT NOT NULL,
    want TEXT NOT NULL CHECK (want IN ('staged', 'evicted')),
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try REAL NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS files_due ON files (state, next_try);
"""


@dataclass(frozen=True)
class Wanted:
    """One DOI whose files must be brought to a state."""

    key: str
    doi: str
    pids: tuple[str, ...]
    want: str
    attempts: int
    version: int


class FileFollower:
    """Remember what the download area must hold per DOI and bring it there in the background."""

    def __init__(
        self,
        path: Path,
        resolve: Callable[[str], Dataset],
        stage: Callable[[str, Sequence[Dataset]], StageReport],
        evict: Callable[[str], bool],
        retry_after: float = 60.0,
        retry_max: float = 3600.0,
    ) -> None:
        self.resolve, self.stage, self.evict = resolve, stage, evict
        self.retry_after, self.retry_max = retry_after, retry_max
        self.wake = threading.Event()
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the list."""
        with self._lock:
            self._db.close()

    def _row(self, key: str) -> tuple[str, str] | None:
        row = self._db.execute("SELECT pids, want FROM files WHERE key = ?", (key,)).fetchone()
        return (row[0], row[1]) if row else None

    def _set(self, key: str, doi: str, pids: Sequence[str], want: str) -> None:
        self._db.execute(
            "INSERT INTO files (key, doi, pids, want, state, updated_at) VALUES (?, ?, ?, ?, 'pending', ?)"
            " ON CONFLICT (key) DO UPDATE SET doi = excluded.doi, pids = excluded.pids, want = excluded.want,"
            " state = 'pending', error = NULL, attempts = 0, next_try = 0, version = version + 1,"
            " updated_at = excluded.updated_at",
            (key, doi, json.dumps(list(pids)), want, time.time()),
        )
        self.wake.set()

    def published(self, key: str, doi: str, pids: Sequence[str]) -> None:
        """Note a published DOI; stage it when it is new here or its dataset list changed."""
        with self._lock:
            row = self._row(key)
            if not pids:
                # No dataset (any more): nothing to stage, and files staged for an older version go.
                if row is not None and row[1] == "staged" and row[0] != "[]":
                    log.info("files of %s to evict: the record lists no datasets now", doi)
                    self._set(key, doi, [], "evicted")
                return
            if row != (json.dumps(list(pids)), "staged"):
                log.info("files of %s to stage: datasets %s", doi, ", ".join(pids) or "none")
                self._set(key, doi, pids, "staged")

    def withdrawn(self, key: str, doi: str) -> None:
        """Note a withdrawn DOI; its files are evicted."""
        with self._lock:
            row = self._row(key)
            if row is None or row[1] != "evicted":
                log.info("files of %s to evict: withdrawn", doi)
                self._set(key, doi, json.loads(row[0]) if row else [], "evicted")

    def retry_failed(self) -> None:
        """Make failed DOIs due now (a full round does this)."""
        with self._lock:
            self._db.execute("UPDATE files SET next_try = 0 WHERE state = 'failed'")
        self.wake.set()

    def counts(self) -> dict[str, int]:
        """Return how many DOIs are pending, done and failed."""
        counts = dict.fromkeys(("pending", "done", "failed"), 0)
        with self._lock:
            counts.update(self._db.execute("SELECT state, count(*) FROM files GROUP BY state").fetchall())
        return counts

    def failures(self, limit: int = 20) -> list[tuple[str, str, int]]:
        """Return (doi, error, attempts) of failed DOIs."""
        with self._lock:
            rows = self._db.execute(
                "SELECT doi, error, attempts FROM files WHERE state = 'failed' ORDER BY updated_at LIMIT ?", (limit,)
            ).fetchall()
        return [(doi, error or "", attempts) for doi, error, attempts in rows]

    def due(self) -> Wanted | None:
        """Return the DOI to work on next, or None when nothing is due."""
        with self._lock:
            row = self._db.execute(
                "SELECT key, doi, pids, want, attempts, version FROM files"
                " WHERE state != 'done' AND next_try <= ? ORDER BY next_try, updated_at LIMIT 1",
                (time.time(),),
            ).fetchone()
        return Wanted(row[0], row[1], tuple(json.loads(row[2])), row[3], row[4], row[5]) if row else None

    def work(self, item: Wanted) -> bool:
        """Stage or evict one DOI; record the outcome unless the DOI changed meanwhile. Return success."""
        try:
            if item.want == "staged":
                if not item.pids:
                    raise LookupError("the record lists no datasets")
                report = self.stage(item.key, [self.resolve(pid) for pid in item.pids])
                log.info(
                    "staged %s: %d file(s), %d copied, %d already in place",
                    item.doi,
                    report.files,
                    report.copied,
                    report.skipped,
                )
            else:
                if self.evict(item.key):
                    log.info("evicted the files of withdrawn %s", item.doi)
        except Exception as exc:
            wait = min(self.retry_after * 2**item.attempts, self.retry_max)
            log.error("%s files of %s failed (retry in %.0fs): %s", item.want, item.doi, wait, exc)
            self._finish(item, "failed", str(exc), time.time() + wait)
            return False
        self._finish(item, "done", None, 0)
        return True

    def _finish(self, item: Wanted, state: str, error: str | None, next_try: float) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE files SET state = ?, error = ?, attempts = attempts + ?, next_try = ?, updated_at = ?"
                " WHERE key = ? AND version = ?",
                (state, error, state == "failed", next_try, time.time(), item.key, item.version),
            )

    def run(self, stop: threading.Event, idle: float = 5.0) -> None:
        """Work off due DOIs until `stop` is set."""
        while not stop.is_set():
            item = self.due()
            if item is None:
                self.wake.wait(idle)
                self.wake.clear()
                continue
            self.work(item)
