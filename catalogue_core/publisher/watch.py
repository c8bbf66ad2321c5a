"""`dmzpub sync --watch`: keep the DMZ in step with SciCat, round after round, until SIGTERM.

Each round asks SciCat only for records changed since the high-water mark (SciCat's own
`updatedAt`, minus an overlap for clock skew between SciCat's writers), queues and delivers
page by page; on start and every full period it compares everything (`reconcile`). An outage
on either side ends the round, never the service. A small JSON status file says how it goes.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..progress import Progress
from .client import PushClient
from .delivery import Deliverer
from .errors import PublisherError
from .outbox import Outbox
from .reconcile import reconcile
from .source import SciCatSource, known_plain
from .sync import Hooks, Planner, SyncReport, read, sync

log = logging.getLogger(__name__)
STATUS_FILE = "sync-status.json"
EPOCH = "1970-01-01T00:00:00.000Z"


class Stopping(Exception):
    """SIGTERM arrived while the round was waiting to retry: leave the round now."""


class StopCheck(Progress):
    """Progress that leaves a long read at the next page once SIGTERM arrived (nothing is half-queued)."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop

    def advance(self, n: int = 1) -> None:
        """Raise Stopping when asked to stop."""
        if self.stop.is_set():
            raise Stopping()


@dataclass(frozen=True)
class WatchSettings:
    """How often to look, how far back to look again, and how often to compare everything."""

    interval: float = 60.0
    overlap: float = 60.0
    full_every: float = 86400.0


def shift(stamp: str, seconds: float) -> str:
    """Return an ISO `updatedAt` moved by `seconds`, in SciCat's own form (milliseconds, Z)."""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(seconds=seconds)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_status(data_dir: Path) -> dict[str, Any] | None:
    """Return the watcher's status file, or None when there is none (or it cannot be read)."""
    try:
        status = json.loads((Path(data_dir) / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return status if isinstance(status, dict) else None


class Watcher:
    """Run sync rounds against one SciCat and one DMZ until told to stop."""

    def __init__(
        self,
        source: SciCatSource,
        outbox: Outbox,
        client: PushClient,
        deliverer: Deliverer,
        settings: WatchSettings,
        data_dir: Path,
        stop: threading.Event,
        hooks: Hooks | None = None,
        counts: Callable[[], dict[str, int]] | None = None,
    ) -> None:
        self.source, self.outbox, self.client, self.deliverer = source, outbox, client, deliverer
        self.settings, self.stop, self.hooks = settings, stop, hooks
        self.files_counts = counts
        self.status_path = Path(data_dir) / STATUS_FILE
        previous = read_status(Path(data_dir)) or {}
        self.status: dict[str, Any] = {
            "high_water": previous.get("high_water"),
            "last_success": previous.get("last_success"),
            "last_full": previous.get("last_full"),
            "rounds": 0,
        }

    # the loop ----------------------------------------------------------------------------------

    def run(self) -> None:
        """Run rounds every interval: a full one first and every full period, incremental ones between."""
        self._write(state="starting", pid=os.getpid(), started=_iso(time.time()), last_error=None)
        next_full = 0.0
        while not self.stop.is_set():
            started = time.time()
            full = time.monotonic() >= next_full or not self.status.get("high_water")
            try:
                read_count, in_step = self.full_round() if full else self.incremental_round()
            except Stopping:
                break
            except PublisherError as exc:
                log.error("%s round failed, trying again in %.0fs: %s", _kind(full), self.settings.interval, exc)
                self._write(state="waiting", last_error=f"{_iso(time.time())} {exc}")
            except Exception as exc:
                log.exception("%s round failed unexpectedly", _kind(full))
                self._write(state="waiting", last_error=f"{_iso(time.time())} {type(exc).__name__}: {exc}")
            else:
                if full:
                    next_full = time.monotonic() + self.settings.full_every
                    self.status["last_full"] = _iso(started)
                if in_step:
                    self.status["last_success"] = _iso(started)
                self.status["rounds"] += 1
                self._write(state="waiting", last_round=_iso(started), last_read=read_count)
            self.stop.wait(max(0.0, self.settings.interval - (time.time() - started)))
        self._write(state="stopped")
        log.info("stopped")

    # rounds ------------------------------------------------------------------------------------

    def full_round(self) -> tuple[int, bool]:
        """Compare everything and repair; return (records read, whether the DMZ is now in step)."""
        started = time.monotonic()
        self._write(state="full round")
        # Taken before reading: anything changed during the read is newer and found next round.
        newest = self.source.newest_update() if self.source.version == "v4" else None
        self.deliver()
        report = reconcile(self.source, self.client, self.outbox, progress=StopCheck(self.stop), hooks=self.hooks)
        for action in report.actions:
            log.info("%s %s: %s", action.verb, action.doi, action.why)
        for doi, error in report.unrepairable:
            log.error("cannot publish %s: invalid in SciCat: %s", doi, error)
        in_step = self.deliver()
        # An empty catalogue: every record to come is newer than the epoch.
        self.status["high_water"] = newest or self.status.get("high_water") or EPOCH
        log.info(
            "full round: %d in SciCat, %d on the DMZ, %d repaired, %d waiting in %.1fs",
            report.in_source,
            report.on_dmz,
            len(report.actions),
            self.outbox.counts()["pending"],
            time.monotonic() - started,
        )
        retry = getattr(self.hooks, "retry_failed", None)
        if retry is not None:
            retry()
        return report.in_source, in_step

    def incremental_round(self) -> tuple[int, bool]:
        """Read only what changed since the high-water mark; return (records read, DMZ in step)."""
        if self.source.version != "v4":
            return self._sync_round()
        started = time.monotonic()
        self._write(state="round")
        high_water = self.status["high_water"]
        report = SyncReport(api="v4")
        planner = Planner(self.outbox, report, withdraw_private=True, hooks=self.hooks)
        in_step = True
        for page in self.source.changed_since(shift(high_water, -self.settings.overlap)):
            plain = known_plain(page)
            records = [r for r in (read(document, plain) for document in page) if r is not None]
            report.read += len(page)
            report.unusable += len(page) - len(records)
            done = len(report.actions)
            planner.page(records)
            for action in report.actions[done:]:
                log.info("%s %s: %s", action.verb, action.doi, action.why)
            stamps = [d.get("updatedAt") for d in page if isinstance(d.get("updatedAt"), str)]
            high_water = max([high_water, *stamps])
            if len(report.actions) > done:
                in_step = self.deliver()  # delivers while it reads
            if self.stop.is_set():
                break
        self.status["high_water"] = high_water
        in_step = self.deliver() and in_step
        log.info(
            "round: read %d changed since %s, %d published, %d updated, %d withdrawn, %d waiting in %.1fs",
            report.read,
            high_water,
            report.count("publish"),
            report.count("update"),
            report.count("withdraw"),
            self.outbox.counts()["pending"],
            time.monotonic() - started,
        )
        return report.read, in_step

    def _sync_round(self) -> tuple[int, bool]:
        """A v3 backend cannot be asked for changes: every round reads it all (hashes keep it cheap)."""
        report = sync(self.source, self.outbox, progress=StopCheck(self.stop), hooks=self.hooks)
        for action in report.actions:
            log.info("%s %s: %s", action.verb, action.doi, action.why)
        in_step = self.deliver()
        log.info("round (v3, full read): read %d, %d changes", report.read, len(report.actions))
        return report.read, in_step

    def deliver(self) -> bool:
        """Deliver what is queued; return True when nothing is left waiting."""
        report = self.deliverer.flush()
        if self.stop.is_set() and report.stopped:
            raise Stopping()
        if report.delivered:
            log.info("delivered %d to the DMZ", report.delivered)
        for doi, status, error in report.parked:
            log.error("DMZ rejected %s (HTTP %s): %s", doi, status, error)
        if report.stopped:
            log.warning("delivery stopped, entries stay queued: %s", report.stopped)
            self.status["last_error"] = f"{_iso(time.time())} {report.stopped}"
        return not report.stopped and self.outbox.counts()["pending"] == 0

    # status ------------------------------------------------------------------------------------

    def _write(self, **changes: Any) -> None:
        """Update the status file atomically (a reader never sees half of it)."""
        self.status.update(changes)
        self.status["queue"] = self.outbox.counts()["pending"]
        if self.files_counts is not None:
            counts = self.files_counts()
            self.status["files_pending"], self.status["files_failed"] = counts["pending"], counts["failed"]
        self.status["updated"] = _iso(time.time())
        temporary = self.status_path.with_name(f".{STATUS_FILE}.{os.getpid()}")
        try:
            temporary.write_text(json.dumps(self.status, indent=1), encoding="utf-8")
            os.replace(temporary, self.status_path)
        except OSError as exc:
            log.error("cannot write the status file %s: %s", self.status_path, exc)


def _kind(full: bool) -> str:
    return "full" if full else "incremental"


def lag_seconds(status: dict[str, Any], now: float | None = None) -> float | None:
    """Return how long ago the DMZ was last known to be in step with SciCat (None: never)."""
    stamp = status.get("last_success")
    if not isinstance(stamp, str):
        return None
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    return max(0.0, (now or time.time()) - moment)
