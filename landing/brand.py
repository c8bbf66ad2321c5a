"""The facility's look on every page: name, logo, colours, contact, imprint and privacy links."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from flask import Response, abort, current_app, request, send_file

from .blueprint import STATIC_URL, bp

LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}
# No inline styles (the CSP forbids them): the colours come as a tiny stylesheet of their own.
BRAND_CSS = ":root {{ --brand: {brand}; --accent: {accent}; --accent-dark: {accent}; }}\n"


@dataclass(frozen=True)
class Brand:
    """What the pages show of the facility; empty strings are left out."""

    logo_url: str
    css_url: str
    contact_email: str
    imprint_url: str
    privacy_url: str


def _colours(config: Mapping[str, Any]) -> tuple[str, str]:
    return config["DMZPUB_BRAND_COLOUR"], config["DMZPUB_ACCENT_COLOUR"]


@cache
def _version(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


def brand() -> Brand:
    """Return the brand of the running app, from its DMZPUB_* settings."""
    return brand_of(current_app.config, request.script_root)


def brand_of(config: Mapping[str, Any], root: str) -> Brand:
    """Return the brand of an app's settings under a script root (the landing fast route has no request)."""
    logo = config["DMZPUB_BRAND_LOGO"]
    logo_url = f"{root}{STATIC_URL}/brand/logo?v={_version(logo, str(_mtime(logo)))}" if logo else ""
    return Brand(
        logo_url=logo_url,
        css_url=f"{root}{STATIC_URL}/brand.css?v={_version(*_colours(config))}",
        contact_email=config["DMZPUB_CONTACT_EMAIL"] or config["DMZPUB_ADMIN_EMAIL"],
        imprint_url=config["DMZPUB_IMPRINT_URL"],
        privacy_url=config["DMZPUB_PRIVACY_URL"],
    )


def _mtime(path: str) -> int:
    try:
        return Path(path).stat().st_mtime_ns
    except OSError:
        return 0


@bp.route(f"{STATIC_URL}/brand.css")
def brand_css() -> Response:
    """Serve the colours of DMZPUB_BRAND_COLOUR and DMZPUB_ACCENT_COLOUR (validated #rrggbb values)."""
    brand_colour, accent = _colours(current_app.config)
    response = Response(BRAND_CSS.format(brand=brand_colour, accent=accent), mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.route(f"{STATIC_URL}/brand/logo")
def brand_logo() -> Response:
    """Serve the facility's logo file (DMZPUB_BRAND_LOGO)."""
    logo = current_app.config["DMZPUB_BRAND_LOGO"]
    if not logo or not Path(logo).is_file():
        abort(404)
    response = send_file(logo, mimetype=LOGO_TYPES[Path(logo).suffix.lower()], max_age=86400)
    # An SVG opened on its own must not run anything it carries.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response
