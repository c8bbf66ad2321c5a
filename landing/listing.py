"""The index page: newest records first, keyset pages, search by title, creator, DOI and keyword."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import render_template, request, url_for

from catalogue_core.errors import QueryTooCostly
from catalogue_core.store import StoredRecord
from catalogue_core.store.base import MAX_SEARCH_TERMS, search_terms
from catalogue_core.urls import landing_path

from . import model
from .blueprint import bp
from .context import store
from .errors import BadListingQuery

PAGE_SIZE = 20
MAX_QUERY = 200
SNIPPET = 280
_DATESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@dataclass(frozen=True)
class IndexEntry:
    """One record as the index lists it."""

    url: str
    doi: str
    title: str
    creators: list[str]
    more_creators: int
    year: str
    resource_type: str
    snippet: str


def _snippet(text: str) -> str:
    if len(text) <= SNIPPET:
        return text
    return text[:SNIPPET].rsplit(" ", 1)[0].rstrip(",.;:") + " …"


def entry(record: StoredRecord) -> IndexEntry:
    """Return the index entry of a record."""
    meta = record.metadata
    names = [p.name for p in model.creators(meta)]
    abstract = model.descriptions(meta, "Abstract")
    return IndexEntry(
        url=landing_path(record.key),
        doi=record.doi,
        title=model.title(meta),
        creators=names[:3],
        more_creators=max(0, len(names) - 3),
        year=str(meta.get("publicationYear", "")),
        resource_type=model.resource_type(meta),
        snippet=_snippet(" ".join(abstract[0].split())) if abstract else "",
    )


def position(value: str | None) -> tuple[str, str] | None:
    """Return the (created, key) position of a `before` parameter; raise BadListingQuery."""
    if value is None:
        return None
    created, _, key = value.partition(",")
    if not _DATESTAMP.match(created) or not key or len(key) > 1000:
        raise BadListingQuery("before", "is not a page position; start again from the first page")
    return created, key


@bp.get("/")
def index() -> str:
    """List published records, newest first, optionally those matching the search text."""
    text = " ".join(request.args.get("q", "").split())
    if len(text) > MAX_QUERY:
        raise BadListingQuery("q", f"the search text is longer than {MAX_QUERY} characters")
    if len(search_terms(text)) > MAX_SEARCH_TERMS:
        raise BadListingQuery("q", f"the search has more than {MAX_SEARCH_TERMS} different terms")
    before = position(request.args.get("before"))
    rows = store().browse(text or None, before, PAGE_SIZE + 1)
    next_url = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        last = rows[-1]
        next_url = url_for(".index", q=text or None, before=f"{last.created},{last.key}")
    first_url = url_for(".index", q=text or None) if before else None
    return render_template(
        "landing/index.html",
        entries=[entry(r) for r in rows],
        query=text,
        next_url=next_url,
        first_url=first_url,
    )


@bp.errorhandler(QueryTooCostly)
def _too_costly(exc: QueryTooCostly) -> tuple[str, int, dict[str, str]]:
    message = "This search took too long and was stopped. Try fewer or longer words."
    return render_template("landing/index.html", entries=[], query="", error=message), 503, {"Retry-After": "30"}


@bp.errorhandler(BadListingQuery)
def _bad_query(exc: BadListingQuery) -> tuple[str, int]:
    return render_template("landing/index.html", entries=[], query="", error=exc.message), 400
