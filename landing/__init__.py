"""Public DOI landing pages: HTML for people, exports for machines and citation managers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import brand, fast, filters, head, listing, main, old_urls, parts, security, sitemap, template_globals, views
from .blueprint import bp
from .context import init_app as _init_context

if TYPE_CHECKING:
    from collections.abc import Callable

    from flask import Flask

    from catalogue_core.store import Repository


def init_app(app: Flask, repository: Callable[[], Repository]) -> None:
    """Register the landing pages; `repository` returns the app's record store."""
    _init_context(app, repository)
    app.register_blueprint(bp)
    app.wsgi_app = security.SecurityHeaders(app.wsgi_app)  # type: ignore[method-assign]


__all__ = [
    "bp",
    "brand",
    "fast",
    "filters",
    "head",
    "init_app",
    "listing",
    "main",
    "old_urls",
    "parts",
    "security",
    "sitemap",
    "template_globals",
    "views",
]
