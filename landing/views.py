"""The record routes: /doi/<doi> (page or negotiated export), its exports and its linkset."""

from __future__ import annotations

import json
import logging

from flask import Response, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from catalogue_core.doi import normalize_doi
from catalogue_core.errors import InvalidDOI, StoreUnavailable
from catalogue_core.store import StoredRecord

from . import citation, schemaorg, signposting
from .blueprint import bp
from .context import record_page, store
from .errors import NoSuchRecord
from .exports import BY_MEDIA_TYPE, BY_NAME, EXPORTS, Export
from .page import RecordPage, record_path
from .sections import record_sections

log = logging.getLogger(__name__)
HTML_TYPES = ("text/html", "application/xhtml+xml")
# HTML first: a browser's */* (or an Accept we cannot serve) gets the page.
OFFERS = (*HTML_TYPES, *BY_MEDIA_TYPE, signposting.LINKSET_TYPE)
SUFFIXES = frozenset([*BY_NAME, "linkset"])
CACHE = "public, max-age=300"


def _lookup(text: str) -> StoredRecord | None:
    try:
        key = normalize_doi(text).lower()
    except InvalidDOI:
        return None
    return store().get(key, formats=["datacite"])


def resolve(rest: str) -> tuple[StoredRecord, str | None]:
    """Return the record a /doi/ path names and the export it asks for; raise NoSuchRecord."""
    head, _, tail = rest.rpartition("/")
    if tail in SUFFIXES and (found := _lookup(head)):
        return found, tail
    if found := _lookup(rest):
        return found, None
    raise NoSuchRecord(rest)


def _requested_path() -> str:
    """Return the path as the client sent it, %-escapes kept, so that %2F can be told from /."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not raw or not raw.startswith("/"):
        return request.script_root + request.path
    return raw.split("?", 1)[0]


def _with_query(path: str) -> str:
    query = request.query_string.decode("latin-1")
    return f"{path}?{query}" if query else path


@bp.route("/doi/<path:rest>", merge_slashes=False)
def record(rest: str) -> BaseResponse:
    """Answer a record's page, export or linkset; redirect any other spelling of its URL."""
    found, export = resolve(rest)
    canonical = request.script_root + record_path(found.key, export)
    if _requested_path() != canonical:
        return redirect(_with_query(canonical), 301)
    page = record_page(found)
    if export == "linkset":
        return _linkset(page)
    if export:
        return _export(page, BY_NAME[export])
    chosen = request.accept_mimetypes.best_match(OFFERS, default="text/html")
    if chosen in BY_MEDIA_TYPE:
        response = _export(page, BY_MEDIA_TYPE[chosen])
    elif chosen == signposting.LINKSET_TYPE:
        response = _linkset(page)
    else:
        response = _html(page)
    response.vary.add("Accept")
    return response


def _html(page: RecordPage) -> Response:
    if page.record.deleted:
        body = render_template("landing/tombstone.html", page=page, citation=citation.datacite(page.doi, page.meta))
        response = Response(body, 410, mimetype="text/html")
        response.headers["Link"] = signposting.tombstone_link_header(page)
        return response
    body = render_template(
        "landing/record.html",
        page=page,
        citation=citation.datacite(page.doi, page.meta),
        bibtex=citation.bibtex(page.doi, page.meta, page.landing_url),
        jsonld=schemaorg.dataset(page),
        exports=EXPORTS,
        **record_sections(page),
    )
    response = Response(body, mimetype="text/html")
    response.headers["Link"] = signposting.link_header(page)
    response.headers["Cache-Control"] = CACHE
    return response


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
