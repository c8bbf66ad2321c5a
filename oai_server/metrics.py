"""Prometheus metrics at /metrics: the state of the store and of the download area.

Every figure is read from shared state (the store, the download area), not counted in one
worker's memory, so each gunicorn worker answers a scrape with the same numbers.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from flask import Blueprint, Response, current_app

from catalogue_core.errors import StoreError
from download_cache.errors import DownloadCacheError
from download_cache.open_target import open_target
from download_cache.retention import Retention
from download_cache.state import STAGED, STATES

from .store import ext

bp = Blueprint("metrics", __name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Scanning the download area reads every manifest: do it at most this often per worker.
AREA_TTL = 15.0
_area_cache: dict[str, tuple[float, list[str]]] = {}
_area_lock = threading.Lock()


def _metric(name: str, kind: str, doc: str, samples: list[tuple[str, float]]) -> list[str]:
    lines = [f"# HELP {name} {doc}", f"# TYPE {name} {kind}"]
    # Whole numbers in full (a Unix time must not lose its seconds to exponent notation).
    lines += [f"{name}{labels} {int(value) if float(value).is_integer() else value!r}" for labels, value in samples]
    return lines


def _store_lines() -> list[str]:
    extension = ext()
    try:
        stats = extension.store.stats()
    except StoreError:
        return _metric("dmzpub_store_up", "gauge", "1 when the record store answers.", [("", 0)])
    lines = _metric("dmzpub_store_up", "gauge", "1 when the record store answers.", [("", 1)])
    lines += _metric(
        "dmzpub_records",
        "gauge",
        "Records in the store: published, or withdrawn (tombstones).",
        [('{state="published"}', stats.published), ('{state="withdrawn"}', stats.withdrawn)],
    )
    if stats.latest_datestamp:
        newest = datetime.strptime(stats.latest_datestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        lines += _metric(
            "dmzpub_latest_datestamp_seconds",
            "gauge",
            "Datestamp of the newest write (push or withdrawal), as a Unix time.",
            [("", newest.timestamp())],
        )
    return lines


def _area_lines(download_dir: str, quota: int) -> list[str]:
    now = time.monotonic()
    with _area_lock:
        cached = _area_cache.get(download_dir)
        if cached and now - cached[0] < AREA_TTL:
            return cached[1]
    states: Counter[str] = Counter()
    staged_bytes = 0
    if Path(download_dir).is_dir():
        try:
            for info in Retention(open_target(download_dir)).datasets():
                states[info.state] += 1
                staged_bytes += info.size if info.state == STAGED else 0
        except (OSError, DownloadCacheError):
            states.clear()
    lines = _metric(
        "dmzpub_download_datasets",
        "gauge",
        "Datasets in the download area by state.",
        [(f'{{state="{state}"}}', states[state]) for state in STATES],
    )
    lines += _metric("dmzpub_download_staged_bytes", "gauge", "Bytes of staged files.", [("", staged_bytes)])
    if quota:
        lines += _metric("dmzpub_download_quota_bytes", "gauge", "DMZPUB_CACHE_MAX_BYTES.", [("", quota)])
    with _area_lock:
        _area_cache[download_dir] = (now, lines)
    return lines


@functools.cache
def _release() -> str:
    """Return the installed version, read once (package metadata lives on disk)."""
    try:
        return version("dmzpub")
    except PackageNotFoundError:
        return "unknown"


@bp.get("/metrics")
def metrics() -> Response:
    """Answer a Prometheus scrape."""
    config = current_app.config
    lines = _metric(
        "dmzpub_info",
        "gauge",
        "Build and store of this server.",
        [(f'{{version="{_release()}",store="{ext().kind}"}}', 1)],
    )
    lines += _store_lines()
    lines += _area_lines(config["DMZPUB_DOWNLOAD_DIR"], config["DMZPUB_CACHE_MAX_BYTES"])
    return Response("\n".join(lines) + "\n", content_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})
