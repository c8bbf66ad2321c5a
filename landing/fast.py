"""The record page (GET/HEAD /doi/<doi> as HTML) as a fast route: the Flask view's answer without Flask."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from catalogue_core.doi import doi_key
from catalogue_core.errors import InvalidDOI
from catalogue_core.store import StoredRecord
from catalogue_core.urls import LANDING_PREFIX, landing_path
from download_cache.area import DatasetStatus

from . import views
from .context import area_of, state_of

# The answer's own headers after the page's: what the Flask view's Response adds, then its Vary.
VARY = ("Vary", "Accept")
STATUS = {200: "200 OK", 304: "304 NOT MODIFIED", 410: "410 GONE"}  # as werkzeug writes them


def page_route(app: Flask) -> Callable[[dict[str, Any]], Any]:
    """Return the fast handler of record pages; it declines (None) whatever is not a page's canonical URL."""
    state = state_of(app)

    def handler(environ: dict[str, Any]) -> Any:
        key, root = _page_key(environ)
        if key is None:
            return None
        found, seen = views.lookup_page(state, key, root)
        if found is None or environ.get("RAW_URI", environ.get("REQUEST_URI", "")).split("?", 1)[0] != (
            root + landing_path(found.key)
        ):
            return None  # Flask answers the 404 page or the redirect

        def render(summary: StoredRecord, status: DatasetStatus | None, stored: str | bytes | None) -> views.Rendered:
            done = views.render_from_memos(app, summary, root, status, stored)  # pushes no context of its own
            if done is not None:
                return done
            with app.request_context(environ):  # rendering templates reads brand and settings as the view does
                return views.render(summary, status, stored)

        body, status, checked, etag = views.page_for(state, area_of(app), found, seen, root, render)
        if views.not_modified(status, etag, environ.get("HTTP_IF_NONE_MATCH")):
            return STATUS[304], [*checked, VARY], b""
        headers = [*checked, ("Content-Type", views.HTML_TYPE), ("Content-Length", str(len(body))), VARY]
        return STATUS[status], headers, body

    return handler


def _page_key(environ: dict[str, Any]) -> tuple[str | None, str]:
    """Return the DOI key a request for a record page names and the script root; None for anything else."""
    path, root = environ.get("PATH_INFO", ""), environ.get("SCRIPT_NAME", "").rstrip("/")
    rest = path[len(LANDING_PREFIX) :]
    # Left to Flask: paths werkzeug would decode (not ASCII), SciCat v3's twice-encoded DOIs (a `%` left),
    # exports and linksets, and Accept headers that need negotiating.
    if not (path.startswith(LANDING_PREFIX) and rest and path.isascii() and root.isascii()) or "%" in rest:
        return None, root
    if rest.rpartition("/")[2] in views.SUFFIXES or not views.browser_html(environ.get("HTTP_ACCEPT", "")):
        return None, root
    try:
        return doi_key(rest), root
    except InvalidDOI:
        return None, root
