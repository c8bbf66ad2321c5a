"""The API's PUT on the fast route answers, audits and stores exactly as the Flask view it stands in for."""

from __future__ import annotations

import io
import json
import logging
import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import TOKEN, scicat_example, v4_document
from flask import Flask
from werkzeug.urls import iri_to_uri
from werkzeug.wsgi import get_input_stream

from oai_server import create_app, logs
from oai_server.api.fast_put import PREFIX, Links, _read
from oai_server.api.push import record_link
from oai_server.fast_routes import routes_of
from oai_server.store import of as store_of

ROUTE = "PUT " + PREFIX + "*"
AUTH = {"Authorization": f"Bearer {TOKEN}", "X-Request-ID": "put-1"}
JSON = {**AUTH, "Content-Type": "application/json"}
# Replies carry the write's datestamp: the two apps write a second apart at most, so it is masked.
STAMP = re.compile(rb'"datestamp":"[^"]*"')


def body(document: Any) -> bytes:
    return json.dumps(document).encode()


def deep(levels: int) -> bytes:
    return ("[" * levels + "]" * levels).encode()


DOC = v4_document("10.5555/fast-1", "First")
# (name, path, headers, body, environ overrides): run in this order, so later ones see earlier writes.
CASES: list[tuple[str, str, dict[str, str], bytes | None, dict[str, Any]]] = [
    ("created", "10.5555/fast-1", JSON, body(DOC), {}),
    ("unchanged", "10.5555/fast-1", JSON, body(DOC), {}),
    ("updated", "10.5555/fast-1", JSON, body(v4_document("10.5555/fast-1", "Second")), {}),
    ("sequenced", "10.5555/fast-2", {**JSON, "X-Dmzpub-Sequence": "5"}, body(v4_document("10.5555/fast-2")), {}),
    ("stale", "10.5555/fast-2", {**JSON, "X-Dmzpub-Sequence": "4"}, body(v4_document("10.5555/fast-2", "Old")), {}),
    ("bad sequence", "10.5555/fast-2", {**JSON, "X-Dmzpub-Sequence": "x"}, body(DOC), {}),
    ("no token", "10.5555/fast-1", {"Content-Type": "application/json"}, body(DOC), {}),
    ("wrong token", "10.5555/fast-1", {**JSON, "Authorization": "Bearer nope"}, body(DOC), {}),
    ("basic refused", "10.5555/fast-1", {**JSON, "Authorization": "Basic c2NpY2F0OnMzY3JldA=="}, body(DOC), {}),
    ("bad DOI", "not-a-doi", JSON, body(DOC), {}),
    ("odd DOI", "10.5555/%C3%A9t%C3%A9 x?y", JSON, body(v4_document("10.5555/été x")), {}),
    ("non-ASCII DOI", "10.5555/%C3%A9t%C3%A9<%25>", JSON, body(v4_document("10.5555/été<%>")), {}),
    ("not UTF-8 path", "10.5555/%FF", JSON, body(DOC), {}),
    ("DOI differs from path", "10.5555/other", JSON, body(DOC), {}),
    ("invalid record", "10.5555/fast-3", JSON, body({"doi": "10.5555/fast-3"}), {}),
    ("not JSON", "10.5555/fast-1", JSON, b"{nope", {}),
    ("not UTF-8 body", "10.5555/fast-1", JSON, b'{"doi": "\xff"}', {}),
    ("too deep", "10.5555/fast-1", JSON, deep(40), {}),
    ("a float", "10.5555/fast-4", JSON, body({**v4_document("10.5555/fast-4"), "sizeOfArchive": 1.5}), {}),
    ("not an object", "10.5555/fast-1", JSON, b"[1, 2]", {}),
    ("text/plain", "10.5555/fast-1", {**AUTH, "Content-Type": "text/plain"}, body(DOC), {}),
    ("+json", "10.5555/fast-1", {**AUTH, "Content-Type": "application/vnd.x+json; charset=utf-8"}, body(DOC), {}),
    ("no media type", "10.5555/fast-1", AUTH, body(DOC), {}),
    ("too large", "10.5555/fast-1", JSON, b" " * 5000 + body(DOC), {}),
    (
        "chunked, too large",
        "10.5555/fast-1",
        {**JSON, "Transfer-Encoding": "chunked"},
        None,
        {"wsgi.input_terminated": True},
    ),
    (
        "full example",
        "10.5555/fast-5",
        JSON,
        body({**scicat_example("v4-registered-full.json"), "doi": "10.5555/fast-5"}),
        {},
    ),
    ("trailing slash", "10.5555/fast-1/", JSON, body(DOC), {}),
    ("merged slashes", "10.5555//fast-1", JSON, body(DOC), {}),
    ("script root", "10.5555/fast-6", JSON, body(v4_document("10.5555/fast-6")), {"SCRIPT_NAME": "/pub"}),
    # As gunicorn serves them: the server ends the body at its length (the fast route then reads it at once).
    ("terminated", "10.5555/fast-7", JSON, body(v4_document("10.5555/fast-7")), {"wsgi.input_terminated": True}),
    ("terminated, too large", "10.5555/fast-1", JSON, b" " * 5000 + body(DOC), {"wsgi.input_terminated": True}),
    ("terminated, at the limit", "10.5555/fast-1", JSON, body(DOC).ljust(4096), {"wsgi.input_terminated": True}),
]


@contextmanager
def audit_lines() -> Iterator[list[str]]:
    """Collect the audit lines written meanwhile, each with the request id it is stamped with."""
    lines: list[str] = []
    handler = logging.Handler()
    handler.addFilter(logs.RequestIdFilter())
    handler.emit = lambda record: lines.append(f"{record.request_id} {record.getMessage()}")  # type: ignore
    log = logging.getLogger("dmzpub.audit")
    log.addHandler(handler)
    level = log.level
    log.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        log.removeHandler(handler)
        log.setLevel(level)


def run(app: Flask, cases: list[tuple[str, str, dict[str, str], bytes | None, dict[str, Any]]]) -> list[Any]:
    """Return each case's status, headers and body (datestamps masked), then the audit lines."""
    client = app.test_client()
    answers: list[Any] = []
    with audit_lines() as lines:
        for name, path, sent, data, environ in cases:
            headers = {"X-Request-ID": "put-1", **sent}
            if name.startswith("chunked"):
                stream = io.BytesIO(b" " * 4096)
                response = client.put(PREFIX + path, input_stream=stream, headers=headers, environ_overrides=environ)
            else:
                response = client.put(PREFIX + path, data=data, headers=headers, environ_overrides=environ)
            answers.append((name, response.status, list(response.headers.items()), STAMP.sub(b"", response.data)))
    return [*answers, lines]


def make_app(tmp_path: Path, name: str, fast: bool, **settings: Any) -> Flask:
    config = {
        "TESTING": True,
        "DMZPUB_DATA_DIR": str(tmp_path / name),
        "DMZPUB_DOWNLOAD_DIR": str(tmp_path / f"{name}-downloads"),
        "DMZPUB_PUSH_TOKENS": TOKEN,
        "DMZPUB_SCICAT_BASIC": "scicat:s3cret",
        "DMZPUB_BASE_URL": "https://doi.example.org",
        "DMZPUB_MAX_PUSH_BYTES": 4096,
        **settings,
    }
    app = create_app(config)
    if not fast:
        routes_of(app).routes.pop(ROUTE)
        routes_of(app).add({})
    return app


def fast_and_flask(tmp_path: Path, cases: list[Any], **settings: Any) -> tuple[list[Any], list[Any]]:
    """Return the answers of the fast route and of the Flask view alone, each on its own new store."""
    fast, slow = make_app(tmp_path, "fast", True, **settings), make_app(tmp_path, "slow", False, **settings)
    try:
        return run(fast, cases), run(slow, cases)
    finally:
        store_of(fast).close()
        store_of(slow).close()


class _Broken(io.BytesIO):
    def read(self, size: int | None = -1) -> bytes:
        raise OSError("connection reset")

    def readinto(self, buffer: Any) -> int:
        raise OSError("connection reset")


@pytest.mark.parametrize(
    "stream, length",
    [(io.BytesIO(b"[1, 2]"), 6), (io.BytesIO(b"[1, 2]"), 9), (io.BytesIO(b"x" * 4096), 4096), (_Broken(), 6)],
)
def test_a_terminated_body_is_read_as_werkzeug_reads_it(stream: io.BytesIO, length: int) -> None:
    app = create_app({"TESTING": True, "DMZPUB_MAX_PUSH_BYTES": 4096})
    environ = {"wsgi.input": stream, "wsgi.input_terminated": True, "CONTENT_LENGTH": str(length)}

    def read(reader: Any) -> Any:
        stream.seek(0)
        try:
            return reader()
        except Exception as exc:
            return type(exc)

    assert read(lambda: _read(app, environ, length)) == read(
        lambda: get_input_stream(environ, max_content_length=4096).read()
    )


def test_the_api_put_is_a_fast_route(app: Flask) -> None:
    assert ROUTE in routes_of(app).routes


def test_every_put_answer_and_audit_line_is_the_flask_views(tmp_path: Path) -> None:
    fast, slow = fast_and_flask(tmp_path, CASES)
    for got, expected in zip(fast, slow, strict=True):
        assert got == expected
    statuses = {name: status for name, status, *_ in fast[:-1]}
    assert statuses["created"] == "201 CREATED" and statuses["stale"] == "409 CONFLICT"
    assert statuses["too large"] == "413 REQUEST ENTITY TOO LARGE" and statuses["no token"] == "401 UNAUTHORIZED"
    assert statuses["invalid record"] == "422 UNPROCESSABLE ENTITY" and statuses["text/plain"].startswith("415")
    assert statuses["chunked, too large"].startswith("413") and statuses["script root"] == "201 CREATED"
    assert statuses["non-ASCII DOI"] == "201 CREATED"
    assert len(fast[-1]) >= 15  # the writes and the refusals each left their line
    assert all(line.startswith("put-1 ") for line in fast[-1])


@pytest.mark.parametrize(
    "settings",
    [
        {"DMZPUB_PUSH_ALLOW_CIDRS": "10.0.0.0/8"},
        {"DMZPUB_PUSH_ALLOW_CIDRS": "127.0.0.0/8"},
        {"DMZPUB_PUSH_TOKENS": "", "DMZPUB_SCICAT_BASIC": ""},
        {"DMZPUB_DOI_PREFIXES": "10.9999"},
    ],
    ids=["network refused", "network allowed", "push disabled", "prefix not served"],
)
def test_network_credentials_and_prefix_settings_answer_as_the_flask_view(
    tmp_path: Path, settings: dict[str, str]
) -> None:
    fast, slow = fast_and_flask(tmp_path, CASES[:3], **settings)
    assert fast == slow


def test_a_put_on_the_fast_route_stores_what_the_flask_view_stores(tmp_path: Path) -> None:
    fast, slow = make_app(tmp_path, "fast", True), make_app(tmp_path, "slow", False)
    try:
        run(fast, CASES)
        run(slow, CASES)
        for key in ("10.5555/fast-1", "10.5555/fast-2", "10.5555/fast-5", "10.5555/fast-6", "10.5555/été<%>"):
            got, expected = store_of(fast).store.get(key), store_of(slow).store.get(key)
            assert got is not None and expected is not None
            assert (got.payload, got.rendered, got.sets, got.content_hash) == (
                expected.payload,
                expected.rendered,
                expected.sets,
                expected.content_hash,
            )
    finally:
        store_of(fast).close()
        store_of(slow).close()


KEY_CHARS = "aZ09-._~/%?#<>\"' []{}|\\^`!$&()*+,;=:@é€😀\u0301\x7f"


@pytest.mark.parametrize(
    "base_url", ["https://doi.example.org", "https://DOI.Example.org:8443/sub", "http://bücher.example"]
)
@pytest.mark.parametrize("script_root", ["", "/pub", "/ü b"])
def test_the_location_header_is_werkzeugs_iri_to_uri_of_the_link_for_odd_keys(
    tmp_path: Path, base_url: str, script_root: str
) -> None:
    app = make_app(tmp_path, "links", True, DMZPUB_BASE_URL=base_url)
    try:
        with app.test_request_context("/", environ_overrides={"SCRIPT_NAME": script_root}):
            links = Links.of(record_link())
        rng = random.Random(f"{base_url}{script_root}")
        keys = ["", "10.5555/x", *("".join(rng.choices(KEY_CHARS, k=rng.randint(1, 24))) for _ in range(1500))]
        for key in keys:
            link = links.link(key)
            assert links.location(link) == iri_to_uri(link), key
        assert links.location("https://other.example/Ü?x#y") == iri_to_uri("https://other.example/Ü?x#y")
    finally:
        store_of(app).close()
