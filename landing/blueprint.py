"""The landing blueprint: public pages, exports, sitemap and the stylesheet they use."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, url_for

STATIC = Path(__file__).resolve().parent / "static"
bp = Blueprint("landing", __name__, static_folder=str(STATIC), static_url_path="/assets")


@cache
def _fingerprint(filename: str) -> str:
    """Return a short content hash of a static file, so its URL changes when it does."""
    return hashlib.sha256((STATIC / filename).read_bytes()).hexdigest()[:12]


def asset_url(filename: str) -> str:
    """Return the fingerprinted URL of a static file."""
    return url_for("landing.static", filename=filename, v=_fingerprint(filename))


@bp.context_processor
def _globals() -> dict[str, Any]:
    from .context import base_url, site_name

    return {"site_name": site_name(), "base_url": base_url(), "asset_url": asset_url}
