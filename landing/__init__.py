"""Public DOI landing pages: HTML for people, exports for machines and citation managers."""

from __future__ import annotations

from . import brand, filters, listing, security, sitemap, views
from .blueprint import bp

__all__ = ["bp", "brand", "filters", "listing", "security", "sitemap", "views"]
