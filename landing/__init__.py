"""Public DOI landing pages: HTML for people, exports for machines and citation managers."""

from __future__ import annotations

from . import filters, listing, old_urls, security, sitemap, views
from .blueprint import bp

__all__ = ["bp", "filters", "listing", "old_urls", "security", "sitemap", "views"]
