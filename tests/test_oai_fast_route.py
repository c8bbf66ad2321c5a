"""The OAI-PMH endpoint's GET runs as a fast route and answers the Flask view's bytes, headers and errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import oai_support
import pytest
from conftest import Pusher
from flask import Flask
from oai_support import corpus, oai_id, push_all
from werkzeug.test import TestResponse

from catalogue_core.urls import OAI_PATH, SCICAT_OAI_PATHS
from oai_server import create_app
from oai_server.fast_routes import routes_of
from oai_server.store import of as store_of

clock = oai_support.clock
PATHS = (OAI_PATH, *SCICAT_OAI_PATHS)
TOKEN_RE = re.compile(rb"<resumptionToken[^>]*>([^<]+)</resumptionToken>")


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    """Return a test app serving pages of three records."""
    app = create_app({**app_config, "DMZPUB_OAI_PAGE_SIZE": 3})
    yield app
    store_of(app).close()


@contextmanager
def flask_only(app: Flask) -> Iterator[None]:
    """Take the OAI paths off the fast routes for a while: Flask's own view answers them."""
    routes = routes_of(app).routes
    handlers = {path: routes.pop(path) for path in PATHS}
    try:
        yield
    finally:
        routes.update(handlers)


def answer(response: TestResponse) -> tuple[str, list[tuple[str, str]], bytes]:
    return response.status, list(response.headers.items()), response.get_data()


def both(app: Flask, method: str, path: str, query: str, encoding: str | None = None) -> tuple[Any, Any]:
    """Return (fast answer, Flask view's answer) of one request; `query` is QUERY_STRING (latin-1: raw bytes)."""
    client = app.test_client()
    headers = {"X-Request-ID": "oai-1", **({"Accept-Encoding": encoding} if encoding else {})}
    sent = {"method": method, "headers": headers, "environ_overrides": {"QUERY_STRING": query}}
    fast = answer(client.open(path, **sent))
    with flask_only(app):
        slow = answer(client.open(path, **sent))
    return fast, slow


@pytest.fixture
def published(pusher: Pusher, clock: oai_support.Clock) -> list[str]:
    """Publish seven records a second apart and withdraw one."""
    keys = []
    for doc in corpus(7):
        keys += push_all(pusher, [doc])
        clock.advance(1)
    assert pusher.withdraw(keys[2], "a test").status_code in (200, 204)
    clock.advance(1)
    return keys


def test_every_oai_path_is_a_fast_route(app: Flask) -> None:
    assert set(PATHS) <= set(routes_of(app).routes)


QUERIES = [
    "verb=Identify",
    "verb=ListMetadataFormats",
    "verb=ListSets",
    "verb=ListRecords&metadataPrefix=oai_dc",
    "verb=ListIdentifiers&metadataPrefix=oai_datacite&from=2024-05-01T00:00:02Z",
    "verb=ListRecords&metadataPrefix=oai_dc&set=nothing:here",
    "verb=ListRecords&metadataPrefix=nope",
    "verb=ListRecords&resumptionToken=forged",
    "verb=GetRecord&metadataPrefix=oai_dc&identifier={live}",
    "verb=GetRecord&metadataPrefix=datacite&identifier={gone}",
    "verb=GetRecord&metadataPrefix=oai_dc&identifier=10.5555/rec-001",  # a bare DOI, as SciCat's provider took
    "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:elsewhere:x",
    "verb=Identify&verb=Identify",
    "verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc",
    "",
    "verb=Nope&x=%FF%FE",
    "verb=GetRecord&metadataPrefix=oai_dc&identifier=caf\xc3\xa9",  # raw UTF-8 bytes on the request line
    "verb=GetRecord&metadataPrefix=oai_dc&identifier=caf\xff",  # a raw byte that is not UTF-8
    "verb=ListRecords&metadataPrefix=oai_dc&set=a b",  # a raw space
    "verb=ListRecords&metadataPrefix=oai_dc&from=2024-13-01",
    "verb=ListRecords&metadataPrefix=oai_dc&from=2024-05-01&until=2024-05-01T00:00:00Z",
    "verb=ListRecords&metadataPrefix=oai_dc&extra=",
]


@pytest.mark.parametrize("query", QUERIES)
def test_the_fast_route_answers_each_request_as_the_flask_view(app: Flask, published: list[str], query: str) -> None:
    query = query.format(live=oai_id(published[0]), gone=oai_id(published[2]))
    fast, slow = both(app, "GET", OAI_PATH, query)
    assert fast == slow
    assert fast[0] == "200 OK" and ("Content-Type", "text/xml; charset=utf-8") in fast[1]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("encoding", [None, "gzip", "deflate;q=1, gzip;q=0", "br"])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_every_page_of_a_list_reads_the_same_on_each_path_method_and_encoding(
    app: Flask, published: list[str], path: str, encoding: str | None, method: str
) -> None:
    query, pages = "verb=ListRecords&metadataPrefix=oai_dc", 0
    while query:
        fast, slow = both(app, method, path, query, encoding)
        assert fast == slow
        pages += 1
        # HEAD has no body to read the next token from: GET the page for it.
        body = fast[2] if method == "GET" else app.test_client().get(path, query_string=query).get_data(as_text=False)
        if encoding is None and (found := TOKEN_RE.search(body)):
            query = f"verb=ListRecords&resumptionToken={found.group(1).decode()}"
        else:
            query = ""
    assert pages == (3 if encoding is None else 1)  # seven records, three a page


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_an_unreadable_store_gets_the_views_503_from_the_fast_route(
    app: Flask, store_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = store_of(app).store
    monkeypatch.setattr(store, "path", "/nonexistent-dir/x.sqlite")
    monkeypatch.setattr(store, "_local", type(store._local)())  # no open connection: the next read reopens
    fast, slow = both(app, "GET", OAI_PATH, "verb=ListRecords&metadataPrefix=oai_dc")
    assert fast == slow
    assert fast[0] == "503 SERVICE UNAVAILABLE" and ("Retry-After", "30") in fast[1]
