"""The access line written straight to the handler has the bytes the logging path wrote, for any request."""

from __future__ import annotations

import io
import logging
import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask

from oai_server import access_line, audit, logs

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")
# PATH_INFO as WSGI servers hand it over (latin-1 characters of the raw bytes), odd ones included.
PATHS = [
    "/healthz",
    "",
    "//double//slashes",
    "/doi/10.1/caf\xc3\xa9",  # UTF-8 bytes of "café"
    "/bad/\xff\xfe",  # not UTF-8
    "/with space and %20 and %",
    "/percent%s%d%(name)s",
    "/" + "x" * 3000,
    "/ctl\x01\x7f",
    "/new\nline",
    "/braces{}/{0}",
]
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PROPFIND", "G%sT"]
IDS = ["abc", "fast-1", "a" * 128, "x:y@z/w+=.", "%s%s"]
OUTCOMES = ["created", "updated", "unchanged", "withdrawn"]
ELAPSED = [0.0, 0.04999, 0.05, 0.15, 1.25, 2.5, 999.95, 12345.678, 1e-9, float("inf")]


@contextmanager
def text_log() -> Iterator[io.StringIO]:
    """Log in dmzpub's text format into a buffer, as the only handler (pytest's capture set aside meanwhile)."""
    root = logging.getLogger()
    others = [handler for handler in root.handlers if handler.get_name() != "dmzpub"]
    for handler in others:
        root.removeHandler(handler)
    buffer = io.StringIO()
    logs.setup("text", "INFO", stream=buffer)
    try:
        yield buffer
    finally:
        logs.setup()
        for handler in others:
            root.addHandler(handler)


def lines(buffer: io.StringIO) -> list[str]:
    """Return the lines written since last time, without their time stamps (checked on their own below)."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return [STAMP.sub("", line) for line in text.splitlines(keepends=True)]


def cases(count: int) -> Iterator[tuple[dict[str, Any], int, str, float]]:
    chosen = random.Random(13)
    for _ in range(count):
        environ = {"REQUEST_METHOD": chosen.choice(METHODS), "PATH_INFO": chosen.choice(PATHS)}
        yield (
            environ,
            chosen.choice([200, 201, 304, 404, 405, 410, 500, 503]),
            chosen.choice(IDS),
            chosen.choice(ELAPSED),
        )


def test_the_direct_line_is_the_logging_paths_line_for_many_requests() -> None:
    with text_log() as buffer:
        compare_both_ways(buffer)


def compare_both_ways(text_log: io.StringIO) -> None:
    assert access_line._handler() is not None  # dmzpub's text set-up: the direct path is taken
    passing = logging.Filter()  # any filter on the logger sends lines through logging
    for environ, status, rid, elapsed in cases(600):
        access_line.write(environ, status, rid, elapsed)
        direct = lines(text_log)
        access_line.ACCESS.addFilter(passing)
        try:
            assert access_line._handler() is None
            access_line.write(environ, status, rid, elapsed)
        finally:
            access_line.ACCESS.removeFilter(passing)
        assert direct == lines(text_log) and len(direct) == 1 + environ["PATH_INFO"].count("\n")


@pytest.mark.parametrize("second", [0, 1_700_000_000, 1_764_638_400, 2_000_000_000])
def test_the_time_stamp_is_the_formatters_even_at_a_seconds_end(second: int, monkeypatch: pytest.MonkeyPatch) -> None:
    formatter = logs.formatter("text")
    assert formatter is not None
    for offset in (0, 1, 999_999, 1_000_000, 123_456_789, 998_999_999, 999_000_000, 999_999_000, 999_999_999):
        now = second * 1_000_000_000 + offset
        monkeypatch.setattr(logging.time, "time_ns", lambda now=now: now)  # the clock LogRecord reads
        record = logging.LogRecord("x", logging.INFO, "", 0, "", None, None)
        assert access_line.clock(now) == (record.created, record.msecs)
        assert access_line.stamp(*access_line.clock(now)) == formatter.formatTime(record)


def test_json_set_ups_and_extra_handlers_keep_the_logging_path() -> None:
    with text_log() as buffer:
        other_set_ups(buffer)


def other_set_ups(text_log: io.StringIO) -> None:
    extra = logging.StreamHandler(io.StringIO())
    logging.getLogger().addHandler(extra)
    try:
        assert access_line._handler() is None  # another listener (a test's capture, say) gets the record
    finally:
        logging.getLogger().removeHandler(extra)
    assert access_line._handler() is not None
    between = logging.getLogger("dmzpub")  # a logger between dmzpub.access and the root, as under gunicorn
    assert access_line.ACCESS.parent is between and access_line._handler() is not None
    between.addHandler(extra)
    try:
        assert access_line._handler() is None
    finally:
        between.removeHandler(extra)
    logs.setup("json", "INFO", stream=text_log)
    assert access_line._handler() is None
    logs.setup("text", "WARNING", stream=text_log)
    access_line.write({"PATH_INFO": "/quiet"}, 200, "abc", 1.0)
    assert text_log.getvalue() == ""  # below the level: no line at all


def test_requests_through_the_app_get_their_line(app: Flask) -> None:
    with text_log() as buffer:
        app.test_client().get("/doi/10.1/caf%C3%A9?x=1", headers={"X-Request-ID": "line-1"})
        assert access_line._handler() is not None
    assert lines(buffer)[-1].startswith("INFO dmzpub.access [line-1] GET /doi/10.1/café 404 ")


@pytest.mark.parametrize("rid", ["audit-1", "%s%s"])
def test_an_audit_line_written_directly_is_the_logging_paths_line(app: Flask, rid: str) -> None:
    log = logging.getLogger("dmzpub.audit")
    passing = logging.Filter()  # any filter on the logger sends lines through logging
    dois = ["10.5555/a", "10.1/caf\u00e9", "10.1/%s%(x)s", "10.1/" + "y" * 500]
    with text_log() as buffer:
        # A Flask view's request context, and a fast route's (no request context: the id set by FastRoutes).
        for context in (app.test_request_context(environ_overrides={logs.ENVIRON_KEY: rid}), app.app_context()):
            token = logs.CURRENT_ID.set(rid)
            with context:
                for who, doi, outcome in zip(["ingest-bot", "basic:scicat", "-", "%d"], dois, OUTCOMES, strict=True):
                    audit.set_actor(who)
                    assert access_line._handler(log) is not None
                    audit.written("publish", doi, outcome)
                    direct = lines(buffer)
                    log.addFilter(passing)
                    try:
                        audit.written("publish", doi, outcome)
                    finally:
                        log.removeFilter(passing)
                    assert direct == lines(buffer) == [f"INFO dmzpub.audit [{rid}] publish {doi}: {outcome} by {who}\n"]
            logs.CURRENT_ID.reset(token)
