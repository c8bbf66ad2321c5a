"""What the landing views need from the running app: its store, settings and download area."""

from __future__ import annotations

from flask import current_app

from catalogue_core.store import Repository, StoredRecord

from .downloads import downloads
from .page import RecordPage


def store() -> Repository:
    """Return this process's repository (opened by the app's store extension)."""
    return current_app.extensions["dmzpub.store"].store


def base_url() -> str:
    """Return the public base URL, without trailing slash."""
    return current_app.config["DMZPUB_BASE_URL"]


def site_name() -> str:
    """Return the name the pages carry in their header and title."""
    return current_app.config["DMZPUB_SITE_NAME"]


def record_page(record: StoredRecord) -> RecordPage:
    """Return the page of a record, with its download section unless it is withdrawn."""
    section = None
    if not record.deleted:
        section = downloads(current_app.config["DMZPUB_DOWNLOAD_DIR"], record.key, record.extras, base_url())
    return RecordPage(record, base_url(), section)
