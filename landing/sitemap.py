"""/sitemap.xml (a sitemap index beyond 50,000 URLs) and /robots.txt."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.sax.saxutils import escape

from flask import Response, current_app, request, url_for

from catalogue_core.store import ListQuery
from catalogue_core.urls import landing_path

from .blueprint import bp
from .context import base_url, store
from .sitemap_cache import SitemapCache

log = logging.getLogger(__name__)

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_URLS = 50_000  # the sitemaps.org limit per file
MAX_LOC = 2_047  # sitemaps.org: a <loc> "must be less than 2,048 characters"
BATCH = 1_000
CACHE = "public, max-age=3600"


def _urls(after: str | None, limit: int) -> Iterator[str]:
    """Yield <url> elements of live records after a key, reading at most `limit` keys."""
    base, seen = base_url(), 0
    while seen < limit and (batch := store().list_keys(after, min(BATCH, limit - seen))):
        seen += len(batch)
        after = batch[-1].key
        locs = ((escape(base + landing_path(r.key)), r) for r in batch if not r.deleted)
        # A longer URL (a long non-ASCII DOI, %-encoded) cannot be listed; its page still answers.
        yield "".join(
            f"<url><loc>{loc}</loc><lastmod>{r.datestamp}</lastmod></url>\n" for loc, r in locs if len(loc) <= MAX_LOC
        )


def _urlset(after: str | None, limit: int, home: bool) -> Iterator[str]:
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n'
    if home:
        yield f"<url><loc>{escape(base_url())}/</loc></url>\n"
    yield from _urls(after, limit)
    yield "</urlset>\n"


def _part_size(after: str | None) -> int:
    """Return how many keys a part reads: the first one also lists the home page."""
    return MAX_URLS - 1 if after is None else MAX_URLS


def _part_starts() -> Iterator[str | None]:
    """Yield the key each sitemap part starts after (None for the first part)."""
    after: str | None = None
    yield None
    while len(batch := store().list_keys(after, _part_size(after))) == _part_size(after):
        after = batch[-1].key
        if store().list_keys(after, 1):
            yield after


def _index() -> Iterator[str]:
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
    for start in _part_starts():
        loc = base_url() + url_for(".sitemap_part", after=start)
        yield f"<sitemap><loc>{escape(loc)}</loc></sitemap>\n"
    yield "</sitemapindex>\n"


def _whole() -> Iterator[str]:
    # Records and tombstones together bound the live URLs (+1 for the home page).
    if store().count(ListQuery()) + 1 <= MAX_URLS:
        return _urlset(None, MAX_URLS - 1, home=True)
    return _index()


def _xml(name: str, chunks: Callable[[], Iterator[str]]) -> Response:
    """Answer a sitemap rendered once per store generation (shared by the workers through files)."""
    generation = store().generation()
    etag = f"{generation}-{name}".encode().hex()[:64]
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:

        def render() -> bytes:
            log.info("rendering sitemap %s for store generation %d", name, generation)
            return "".join(chunks()).encode()

        cache = SitemapCache(Path(current_app.config["DMZPUB_DATA_DIR"]) / "sitemaps")
        response = Response(cache.get(name, generation, render), mimetype="application/xml")
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE
    return response


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """Answer the sitemap: every live record's page, or an index of parts when there are many."""
    return _xml("sitemap.xml", _whole)


@bp.get("/sitemap-records.xml")
def sitemap_part() -> Response:
    """Answer one part of a large sitemap: up to 50,000 records after the `after` key."""
    after = request.args.get("after") or None
    return _xml(f"records after {after}", lambda: _urlset(after, _part_size(after), home=after is None))


@bp.get("/robots.txt")
def robots() -> Response:
    """Answer robots.txt: pages and exports may be crawled; API, OAI and files may not."""
    lines = [
        "User-agent: *",
        "Disallow: /api/",
        "Disallow: /scicat/",
        "Disallow: /oai",
        "Disallow: /download/",
        "Allow: /",
        "",
        f"Sitemap: {base_url()}/sitemap.xml",
        "",
    ]
    response = Response("\n".join(lines), mimetype="text/plain")
    response.headers["Cache-Control"] = CACHE
    return response
