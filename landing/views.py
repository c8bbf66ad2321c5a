"""The record routes: /doi/<doi> (page or negotiated export), its exports and its linkset."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from flask import Flask, Response, g, redirect, render_template, request
from markupsafe import Markup
from werkzeug.datastructures import Headers, MIMEAccept
from werkzeug.http import parse_etags
from werkzeug.wrappers import Response as BaseResponse

from catalogue_core.doi import doi_key
from catalogue_core.errors import InvalidDOI, StoreUnavailable
from catalogue_core.page_parts import PAGE_PARTS
from catalogue_core.store import Repository, StoredRecord
from catalogue_core.urls import LANDING_PREFIX, export_path, landing_path
from download_cache.area import DatasetStatus, DownloadArea

from . import citation, parts, schemaorg, signposting
from .blueprint import bp
from .context import LandingState, area_of, base_url, download_area, landing_state, record_page, state_of, store
from .downloads import section
from .errors import NoSuchRecord
from .exports import BY_MEDIA_TYPE, BY_NAME, EXPORTS, Export
from .page import THUMBNAIL, RecordPage
from .sections import record_sections
from .security import HTML_HEADERS, HTML_TYPES

log = logging.getLogger(__name__)
# HTML first: a browser's */* (or an Accept we cannot serve) gets the page.
OFFERS = (*HTML_TYPES, *BY_MEDIA_TYPE, signposting.LINKSET_TYPE)
# DataCite content negotiation's name for schema.org JSON-LD.
ALIASES = {"application/vnd.schemaorg.ld+json": "application/ld+json"}
SUFFIXES = frozenset([*BY_NAME, "linkset", THUMBNAIL])
CACHE = "public, max-age=300"
# A rendered page: body, status, its headers (checked) and ETag.
Rendered = tuple[bytes, int, list[tuple[str, str]], str]
# What lookup_page saw: the store generation read first, the cached page (inputs, Rendered, generation, summary)
# and, for a page not cached, the page parts read with the summary (text or UTF-8 bytes: Repository.page_read).
Seen = tuple[int, Any, str | bytes | None]
# Renders a page: the summary, the dataset's status if read already, the page parts if read already.
Render = Callable[[StoredRecord, DatasetStatus | None, str | bytes | None], Rendered]
# Marks ETags made from a page's parts (views._identity): changing it changes every such ETag once.
ETAG_FORM = "parts-etag-1"
HTML_TYPE = "text/html; charset=utf-8"  # what mimetype="text/html" makes, without working it out per request


def _lookup(text: str, page: bool = False) -> StoredRecord | None:
    """Return the summary of the record a DOI names; for a `page` not cached, with its parts, read at once."""
    try:
        key = doi_key(text)
    except InvalidDOI:
        return None
    if not page:
        return store().summary(key)
    found, g.landing_page = lookup_page(landing_state(), key, request.script_root)
    return found


def lookup_page(state: LandingState, key: str, root: str) -> tuple[StoredRecord | None, Seen]:
    """Return the summary of a record whose page is asked for (with its parts if not cached) and what was seen.

    A cached page keeps the summary it was checked against and the store generation read before
    that summary: while the generation has not moved nothing was written, so no record is read.
    """
    repository = state.repository()
    cached = state.pages.get((key, root))
    if cached is None:  # the generation, the summary and its parts, in one read where the store can
        generation, found, stored = repository.page_read(key, PAGE_PARTS)
        return found, (generation, cached, stored)
    generation = repository.generation()  # read before the summary: a write after this moves it again
    if cached[2] == generation:
        return cached[3], (generation, cached, None)
    return repository.summary(key), (generation, cached, None)


def _full(summary: StoredRecord) -> StoredRecord:
    """Return the whole record (metadata, DataCite XML) of a summary; raise NoSuchRecord."""
    found = store().get(summary.key, formats=["datacite"])
    if found is None:
        raise NoSuchRecord(summary.key)
    return found


def resolve(rest: str) -> tuple[StoredRecord, str | None]:
    """Return the summary of the record a /doi/ path names and the export asked for; raise NoSuchRecord.

    SciCat v3 registered its DOIs at `<prefix><DOI encoded twice>`, which the server has decoded
    once: a path still holding `%` is also tried decoded once more, so those DOIs keep resolving.
    """
    for candidate in dict.fromkeys([rest, unquote(rest)]):
        head, _, tail = candidate.rpartition("/")
        if tail in SUFFIXES and (found := _lookup(head)):
            return found, tail
        if found := _lookup(candidate, page=True):
            return found, None
    raise NoSuchRecord(rest)


def _is_canonical(canonical: str) -> bool:
    """Tell whether the client asked for the canonical path, spelt the same way (%2F is not /)."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
    if raw.startswith("/"):
        return raw.split("?", 1)[0] == canonical
    # No raw request line (or an absolute-form one): compare decoded paths.
    return request.script_root + request.path == unquote(canonical)


def _with_query(path: str) -> str:
    query = request.query_string.decode("latin-1")
    return f"{path}?{query}" if query else path


@bp.route(LANDING_PREFIX + "<path:rest>", merge_slashes=False)
def record(rest: str) -> BaseResponse:
    """Answer a record's page, export or linkset; redirect any other spelling of its URL."""
    found, export = resolve(rest)
    canonical = request.script_root + (export_path(found.key, export) if export else landing_path(found.key))
    if not _is_canonical(canonical):
        return redirect(_with_query(canonical), 301)
    if export == "linkset":
        return _linkset(record_page(_full(found)))
    if export == THUMBNAIL:
        return _thumbnail(found)
    if export:
        return _export(record_page(_full(found)), BY_NAME[export])
    chosen = _negotiate()
    if chosen in BY_MEDIA_TYPE:
        response = _export(record_page(_full(found)), BY_MEDIA_TYPE[chosen])
    elif chosen == signposting.LINKSET_TYPE:
        response = _linkset(record_page(_full(found)))
    else:
        response = _html(found)
    response.headers.add("Vary", "Accept")  # none of these answers has a Vary yet: no need to parse one (vary.add)
    return response


def render(summary: StoredRecord, files: DatasetStatus | None = None, stored: str | bytes | None = None) -> Rendered:
    """Return the page's body (encoded once: cached and sent as is), status, headers and ETag.

    `files`: the dataset's status if already read (page_for), else read here; `stored`: the page parts, likewise.
    """
    if summary.deleted:
        page = record_page(_full(summary))
        gone = render_template("landing/tombstone.html", page=page, citation=citation.datacite(page.doi, page.meta))
        return _rendered(gone, signposting.tombstone_link_header(page), status=410)
    if files is None:
        files = download_area().status(summary.key)
    body, link, live = _from_parts(summary, files, stored) or _fresh(summary, files)
    return _rendered(body, link, status=200, identity=_identity(summary, live))


def render_from_memos(
    app: Flask, summary: StoredRecord, root: str, status: DatasetStatus | None = None, stored: str | bytes | None = None
) -> Rendered | None:
    """Return what render returns, without a request context; None when the page needs one (landing/fast.py)."""
    if summary.deleted:
        return None
    found = _stored_parts(state_of(app).repository, summary, stored)
    if found is None:
        return None
    if status is None:
        status = area_of(app).status(summary.key)
    files = section(status, summary.key, found.external_url, app.config["DMZPUB_BASE_URL"])
    done = parts.assemble_from_memos(app, root, found, files, summary.datestamp)
    if done is None:
        return None
    body, link, live = done
    return _rendered(body, link, status=200, identity=_identity(summary, live))


def _identity(summary: StoredRecord, live: str | None) -> str | None:
    """Return what the ETag of a page put together from parts is made of; None to hash the body itself."""
    # The stored parts are the same bytes for the same record content and fingerprint (they are what the
    # parts are rendered from): hashing these few values, not ~20 kB of body, was a fifth of a page not cached.
    return None if live is None else "\0".join([ETAG_FORM, summary.content_hash, live])


def _rendered(body: str | bytes, link: str, status: int, identity: str | None = None) -> Rendered:
    data = body if isinstance(body, bytes) else body.encode()  # pages put together from parts come encoded
    etag = hashlib.sha256(data if identity is None else identity.encode()).hexdigest()[:24]
    if "\n" in link or "\r" in link:  # werkzeug's check of a header value (the rest are constants)
        raise ValueError("Header values must not contain newline characters.")
    headers = [("Link", link), *HTML_HEADERS.items()]
    if status == 200:
        headers += [("Cache-Control", CACHE), ("ETag", f'"{etag}"')]
    return data, status, headers, etag


def _stored_parts(
    repository: Callable[[], Repository], summary: StoredRecord, stored: str | bytes | None
) -> parts.Parts | None:
    """Return the record's write-time parts (`stored`: as read with the summary); None when missing or unreadable.

    `repository` is called only when the parts were not read yet (each call asks the process id: a system call).
    """
    stored = stored or summary.rendered.get(PAGE_PARTS) or repository().rendered_part(summary.key, PAGE_PARTS)
    return parts.Parts.loads(stored) if stored else None


def _from_parts(summary: StoredRecord, status: DatasetStatus, stored: str | bytes | None) -> parts.Assembled | None:
    """Return the page from its write-time parts; None when they are missing or stale (reindex renders them)."""
    found = _stored_parts(store, summary, stored)
    if found is None or found.fingerprint != parts.fingerprint():
        return None
    files = section(status, summary.key, found.external_url, base_url())
    return parts.assemble(found, files, summary.datestamp)


def _fresh(summary: StoredRecord, status: DatasetStatus) -> tuple[str | bytes, str, str | None]:
    """Return the page rendered now from the whole record, as the write path would have."""
    page = record_page(_full(summary), status)
    built = parts.render(page)
    if (done := parts.assemble(built, page.downloads, page.record.datestamp)) is not None:
        return done
    # The facility's own record.html does not place the parts: give it every value, as before parts.
    body = render_template(
        "landing/record.html",
        page=page,
        parts={"title": Markup(built.title), "head": Markup(built.head), "main": Markup(built.main)},
        citation=citation.datacite(page.doi, page.meta),
        bibtex=citation.bibtex(page.doi, page.meta, page.landing_url),
        jsonld=schemaorg.dataset(page),
        exports=EXPORTS,
        **record_sections(page),
    )
    return body, signposting.link_header(page), None  # no parts: the ETag hashes the body


def browser_html(accept: str) -> bool:
    """Tell whether an Accept header surely chooses the HTML page, without parsing it."""
    # A first media range of plain text/html (every browser) or */* has quality 1 and HTML
    # is the first offer, so best_match would choose HTML too.
    return not accept or accept == "*/*" or accept.startswith(("text/html,", "text/html;q=1")) or accept == "text/html"


def _negotiate() -> str:
    """Return the media type to answer with; browsers' Accept headers take a short cut."""
    if browser_html(request.headers.get("Accept", "")):
        return "text/html"
    # Parameters (DataCite's style= and locale=, JSON-LD's profile=) refine a type; werkzeug would make
    # them part of it, so "text/x-bibliography; style=apa" would match nothing.
    ranges = MIMEAccept([(value.split(";", 1)[0].strip(), q) for value, q in request.accept_mimetypes])
    chosen = ranges.best_match((*OFFERS, *ALIASES), default="text/html")
    return ALIASES.get(chosen, chosen)


def _html(found: StoredRecord) -> Response:
    root = request.script_root
    body, status, checked, etag = page_for(landing_state(), download_area(), found, g.landing_page, root, render)
    # The page's headers were checked (no newlines) once when it was rendered: Headers(dict)
    # checks every value again on each request, a twentieth of a warm page's cost.
    headers = Headers()
    headers._list = checked.copy()
    if not_modified(status, etag, request.headers.get("If-None-Match")):
        return Response(status=304, headers=headers)
    return Response(body, status, headers=headers, content_type=HTML_TYPE)


def page_for(
    state: LandingState,
    area: DownloadArea,
    found: StoredRecord,
    seen: Seen,
    root: str,
    render: Render,
) -> Rendered:
    """Return the page of `found` (as lookup_page saw it): cached (one per record and script root) or rendered now."""
    # A page changes only with the record or the download area: serve it from the cache
    # until one of them does (rendering costs several times the rest of the request).
    generation, cached, stored = seen  # `found` is at least as new as this generation
    status = None
    if found.deleted:
        downloads = None
    elif cached is None:  # a page not cached reads the dataset's status anyway: with its signature, at once
        downloads, status = area.page_status(found.key)
    else:
        downloads = area.signature(found.key)
    inputs = (found.datestamp, found.content_hash, found.deleted, found.reason, downloads)
    if cached is not None and cached[0] == inputs:
        if cached[2] == generation:
            return cached[1]
        rendered = cached[1]
    else:
        rendered = render(found, status, stored)
    state.pages.put((found.key, root), (inputs, rendered, generation, found))
    return rendered


def not_modified(status: int, etag: str, if_none_match: str | None) -> bool:
    """Tell whether a conditional request already holds this page (the answer is then a 304)."""
    return status == 200 and if_none_match is not None and parse_etags(if_none_match).contains(etag)


def _gone(page: RecordPage) -> Response:
    response = Response(f"{page.doi} was withdrawn.\n", 410, mimetype="text/plain")
    response.headers["Link"] = signposting.tombstone_link_header(page)
    return response


def _export(page: RecordPage, export: Export) -> Response:
    if page.record.deleted:
        return _gone(page)
    response = Response(export.build(page), content_type=export.content_type)
    response.headers["Link"] = f'<{page.landing_url}>; rel="describes"; type="text/html"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = CACHE
    return response


def _thumbnail(summary: StoredRecord) -> Response:
    """Answer the record's thumbnail as decoded at write (bytes and image type); 404 when it has none."""
    image = None if summary.deleted else store().thumbnail(summary.key)
    if image is None:
        raise NoSuchRecord(summary.key + "/" + THUMBNAIL)
    response = Response(image.data, content_type=image.media_type)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"  # the URL carries the hash
    response.headers["ETag"] = f'"{image.sha256}"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _linkset(page: RecordPage) -> Response:
    if page.record.deleted:
        return _gone(page)
    body = json.dumps(signposting.linkset(page), ensure_ascii=False, indent=2)
    response = Response(body, content_type=signposting.LINKSET_TYPE)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = CACHE
    return response


@bp.errorhandler(StoreUnavailable)
def _unavailable(exc: StoreUnavailable) -> tuple[str, int, dict[str, str]]:
    log.error("store unavailable: %s", exc)
    return render_template("landing/unavailable.html"), 503, {"Retry-After": "30"}


@bp.errorhandler(NoSuchRecord)
def _no_such_record(exc: NoSuchRecord) -> tuple[str, int]:
    return render_template("landing/not_found.html", asked=exc.asked), 404
