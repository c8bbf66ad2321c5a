"""The landing blueprint: public pages, exports, sitemap and the stylesheet they use."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Blueprint, request

STATIC = Path(__file__).resolve().parent / "static"
STATIC_URL = "/assets"
bp = Blueprint("landing", __name__, static_folder=str(STATIC), static_url_path=STATIC_URL)


@cache
def _fingerprint(filename: str) -> str:
    """Return a short content hash of a static file, so its URL changes when it does."""
    return hashlib.sha256((STATIC / filename).read_bytes()).hexdigest()[:12]


@cache
def _asset_url(script_root: str, filename: str) -> str:
    return f"{script_root}{STATIC_URL}/{filename}?v=" + _fingerprint(filename)


def asset_url(filename: str) -> str:
    """Return the fingerprinted URL of a static file."""
    return _asset_url(request.script_root, filename)
