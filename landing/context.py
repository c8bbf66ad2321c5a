"""What the landing views need from the running app: its store, settings and download area."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from catalogue_core.store import Repository, StoredRecord
from download_cache.area import DatasetStatus, DownloadArea

from .cache import PageCache
from .downloads import external_url
from .downloads import section as downloads_section
from .page import RecordPage


@dataclass
class LandingState:
    """Per app: how to reach the record store, and the cache of rendered pages."""

    repository: Callable[[], Repository]
    pages: PageCache = field(default_factory=PageCache)
    # Per script root and brand: the page frame around record parts, and the parts' fingerprint.
    frames: dict[Hashable, Any] = field(default_factory=dict)
    # Download sections of datasets not staged: a few texts (state, link, publisher) shared by many pages.
    sections: PageCache = field(default_factory=lambda: PageCache(256))
    area: DownloadArea | None = None


_KEY = "landing"  # private to this module: the app hands its store over in init_app()


def init_app(app: Flask, repository: Callable[[], Repository]) -> None:
    """Give the landing pages the app's store (a callable: it opens lazily after the fork)."""
    app.extensions[_KEY] = LandingState(repository)


def state_of(app: Flask) -> LandingState:
    """Return an app's landing state (the fast route has no app context)."""
    state: LandingState = app.extensions[_KEY]
    return state


def landing_state() -> LandingState:
    """Return the running app's landing state."""
    return state_of(current_app)


def store() -> Repository:
    """Return this process's repository (opened by the app's store extension)."""
    return landing_state().repository()


def base_url() -> str:
    """Return the public base URL, without trailing slash."""
    return current_app.config["DMZPUB_BASE_URL"]


def site_name() -> str:
    """Return the name the pages carry in their header and title."""
    return current_app.config["DMZPUB_SITE_NAME"]


def download_area() -> DownloadArea:
    """Return this app's view of the download area (one per app: pages read it on every request)."""
    return area_of(current_app)


def area_of(app: Flask) -> DownloadArea:
    """Return an app's view of the download area (opened on first use)."""
    state = state_of(app)
    if state.area is None:
        state.area = DownloadArea(app.config["DMZPUB_DOWNLOAD_DIR"])
    return state.area


def page_cache() -> PageCache:
    """Return this app's cache of rendered pages."""
    return landing_state().pages


def frames() -> dict[Hashable, Any]:
    """Return this app's memo of page frames and part fingerprints (landing/parts.py)."""
    return landing_state().frames


def section_cache() -> PageCache:
    """Return this app's cache of rendered download sections of datasets not staged."""
    return landing_state().sections


def record_page(record: StoredRecord, status: DatasetStatus | None = None) -> RecordPage:
    """Return the page of a record, with its download section unless it is withdrawn (`status`: if read already)."""
    section = None
    if not record.deleted:
        if status is None:
            status = download_area().status(record.key)
        section = downloads_section(status, record.key, external_url(record.extras), base_url())
    return RecordPage(record, base_url(), section)
