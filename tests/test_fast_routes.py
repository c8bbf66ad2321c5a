"""Fast routes answer exactly as the Flask routes they stand in for, behind the same middleware and error pages."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from werkzeug.exceptions import NotFound
from werkzeug.test import TestResponse

from catalogue_core.store.base import PROBE_INTERVAL
from oai_server import logs
from oai_server.fast_routes import routes_of, status
from oai_server.request import path_of
from oai_server.store import of as store_of

ID = {"X-Request-ID": "fast-1"}


@pytest.fixture
def log_text() -> Iterator[io.StringIO]:
    """Return the server's log lines, in the text format, as they are written."""
    buffer = io.StringIO()
    logs.setup("text", "INFO", stream=buffer)
    yield buffer
    logs.setup()


@contextmanager
def flask_only(app: Flask, path: str) -> Iterator[None]:
    """Take `path` off the fast routes for a while: Flask's own view answers it."""
    routes = routes_of(app).routes
    handler = routes.pop(path)
    try:
        yield
    finally:
        routes[path] = handler


def answer(response: TestResponse) -> tuple[str, list[tuple[str, str]], bytes]:
    return response.status, list(response.headers.items()), response.get_data()


def both(app: Flask, method: str, path: str, route: str = "/healthz") -> tuple[Any, Any]:
    """Return (answer with `route` fast, answer with `route` on Flask only) of one request."""
    client = app.test_client()
    fast = answer(client.open(path, method=method, headers=ID))
    with flask_only(app, route):
        slow = answer(client.open(path, method=method, headers=ID))
    return fast, slow


def test_healthz_is_a_fast_route(app: Flask) -> None:
    assert "/healthz" in routes_of(app).routes


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_healthz_answers_the_flask_views_bytes_and_headers_on_get_and_head(app: Flask, method: str) -> None:
    fast, slow = both(app, method, "/healthz")
    assert fast == slow
    assert ("X-Request-ID", "fast-1") in fast[1] and ("X-Content-Type-Options", "nosniff") in fast[1]
    assert fast[2] == (b"" if method == "HEAD" else b'{"status":"ok","store":"%s"}\n' % store_of(app).kind.encode())


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_an_unwritable_store_gets_the_flask_views_503_from_the_fast_route(
    app: Flask, store_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = store_of(app).store
    db = store._db()  # the test client runs in this thread: the same connection
    db.execute("PRAGMA query_only = 1")
    try:
        monkeypatch.setattr(store, "_probed", store._probed - PROBE_INTERVAL)  # no recent probe to trust
        fast, slow = both(app, "GET", "/healthz")
    finally:
        db.execute("PRAGMA query_only = 0")
    assert fast == slow and fast[0] == "503 SERVICE UNAVAILABLE" and ("Retry-After", "30") in fast[1]
    assert b'"status":"unwritable"' in fast[2]


@pytest.mark.parametrize(("method", "path"), [("POST", "/healthz"), ("OPTIONS", "/healthz"), ("GET", "/healthz/")])
def test_other_methods_and_paths_go_to_flask(app: Flask, method: str, path: str) -> None:
    fast, slow = both(app, method, path)
    expected = {"POST": "405 METHOD NOT ALLOWED", "OPTIONS": "200 OK", "GET": "404 NOT FOUND"}[method]
    assert fast == slow and fast[0] == expected


def test_a_handler_that_declines_leaves_the_request_to_flask(app: Flask) -> None:
    app.add_url_rule("/test-only/fast", "fast", lambda: "from flask")
    routes_of(app).add({"/test-only/fast": lambda environ: None})
    assert app.test_client().get("/test-only/fast").get_data() == b"from flask"


@pytest.mark.parametrize(("error", "code"), [(RuntimeError("a bug"), 500), (NotFound(), 404)])
def test_a_failing_handler_gets_the_error_page_a_failing_flask_view_gets(
    app: Flask, error: Exception, code: int, log_text: io.StringIO
) -> None:
    def fail(*args: Any) -> Any:
        raise error

    app.add_url_rule("/test-only/fast", "fast", fail)
    client = app.test_client()
    slow = answer(client.get("/test-only/fast", headers=ID))
    routes_of(app).add({"/test-only/fast": fail})
    fast = answer(client.get("/test-only/fast", headers=ID))
    assert fast == slow and fast[0] == status(code)
    assert ("Content-Type", "text/html; charset=utf-8") in fast[1]
    assert b"Traceback" not in fast[2] and b"a bug" not in fast[2]
    if code == 500:
        logged = [line for line in log_text.getvalue().splitlines() if "unexpected error" in line]
        assert len(logged) == 2
        assert all("ERROR oai_server.problems [fast-1] unexpected error on GET /test-only/fast" in x for x in logged)


def test_a_handlers_log_lines_carry_the_request_id_and_each_request_gets_an_access_line(
    app: Flask, log_text: io.StringIO
) -> None:
    def handler(environ: dict[str, Any]) -> Any:
        logging.getLogger("test.fast").warning("inside")
        return status(200), [("Content-Type", "text/plain"), ("Content-Length", "2")], b"ok"

    routes_of(app).add({"/test-only/fast": handler})
    response = app.test_client().get("/test-only/fast", headers=ID)
    assert response.get_data() == b"ok" and response.headers["X-Request-ID"] == "fast-1"
    lines = log_text.getvalue().splitlines()
    assert any(line.endswith("WARNING test.fast [fast-1] inside") for line in lines)
    assert any("INFO dmzpub.access [fast-1] GET /test-only/fast 200 " in line for line in lines)
    assert logs.request_id() == "-"  # the id is the handler's only while it runs


def test_status_lines_are_written_as_werkzeug_writes_them() -> None:
    from flask import Response

    for code in (200, 201, 304, 404, 410, 503):
        assert status(code) == Response(status=code).status


def test_prefix_routes_take_the_paths_under_them_longest_first_and_exact_paths_win(app: Flask) -> None:
    def says(text: str) -> Any:
        body = text.encode()
        return lambda environ: (status(200), [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))], body)

    routes_of(app).add({"/test-only/*": says("short"), "/test-only/deep/*": says("long"), "/test-only/x": says("x")})
    client = app.test_client()
    assert client.get("/test-only/a/b").get_data() == b"short"
    assert client.get("/test-only/deep/café").get_data() == b"long"
    assert client.get("/test-only/x").get_data() == b"x"
    assert client.get("/test-only").status_code == 404  # not under the prefix: Flask's answer
    assert client.post("/test-only/a").status_code == 404  # Flask's answer: no Flask route there


def test_path_of_reads_path_info_as_flask_reads_request_path(app: Flask) -> None:
    from flask import request as flask_request
    from werkzeug.test import EnvironBuilder

    # PATH_INFO as a WSGI server hands it over: the raw bytes, each as one latin-1 character.
    for raw in (b"/doi/10.1/caf\xc3\xa9", b"//x", b"x", b"/a b", b"/bad\xff", b""):
        environ = EnvironBuilder().get_environ()
        environ["PATH_INFO"] = raw.decode("latin-1")
        with app.request_context(environ):
            assert path_of(environ) == flask_request.path
