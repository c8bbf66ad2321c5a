"""Logs carry timestamps, levels and request ids (text or JSON); every write leaves an audit line."""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import TOKEN, Pusher, v4_document
from flask import Flask

from oai_server import create_app, logs

DOI = "10.99999/audit-0001"


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Log in JSON into a buffer for the test; restore the default setup after."""
    buffer = io.StringIO()
    logs.setup("json", "INFO", stream=buffer)
    yield buffer
    logs.setup()


def records(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def audit_lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [r for r in records(buffer) if r.get("audit")]


def test_a_request_id_is_taken_from_the_caller_echoed_and_in_every_line(client: Any, log_lines: io.StringIO) -> None:
    response = client.get("/doi/10.99999/nothing-here", headers={"X-Request-ID": "trace-42.a"})
    assert response.headers["X-Request-ID"] == "trace-42.a"
    lines = [r for r in records(log_lines) if r["request_id"] == "trace-42.a"]
    assert any(r["logger"] == "dmzpub.access" and "GET /doi/10.99999/nothing-here 404" in r["message"] for r in lines)
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records(log_lines))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", lines[0]["time"])


def test_the_access_line_names_the_decoded_path_and_a_views_own_lines_carry_the_request_id(
    client: Any, log_lines: io.StringIO
) -> None:
    pusher = Pusher(client)
    response = client.put(
        f"/api/v1/published/{DOI}", json=v4_document(DOI), headers={**pusher.headers, "X-Request-ID": "push-7"}
    )
    assert response.status_code == 201
    client.get("/doi/10.99999/caf%C3%A9", headers={"X-Request-ID": "page-8"})
    by_id = {r["request_id"]: r for r in records(log_lines) if r["logger"] == "dmzpub.access"}
    assert (by_id["page-8"]["method"], by_id["page-8"]["path"], by_id["page-8"]["status"]) == (
        "GET",
        "/doi/10.99999/café",
        404,
    )
    assert [r["request_id"] for r in audit_lines(log_lines)] == ["push-7"]


@pytest.mark.parametrize("given", [None, "", "x" * 200, "bad id\twith spaces"])
def test_a_missing_or_unusable_request_id_is_replaced_by_a_new_one(client: Any, given: str | None) -> None:
    headers = {"X-Request-ID": given} if given is not None else {}
    first = client.get("/healthz", headers=headers).headers["X-Request-ID"]
    second = client.get("/healthz", headers=headers).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


def test_the_text_format_has_a_timestamp_a_level_and_the_request_id(client: Any) -> None:
    buffer = io.StringIO()
    logs.setup("text", "INFO", stream=buffer)
    try:
        client.get("/healthz", headers={"X-Request-ID": "text-1"})
    finally:
        logs.setup()
    line = next(x for x in buffer.getvalue().splitlines() if "dmzpub.access" in x)
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO dmzpub.access \[text-1\] GET /healthz 200", line)


def test_push_amendment_and_withdrawal_leave_audit_lines_naming_the_token_not_the_secret(
    app_config: dict[str, Any], tmp_path: Path, log_lines: io.StringIO
) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("# who may push\ningest-bot:s3cret-ingest-token-000\n", encoding="utf-8")
    app = create_app({**app_config, "DMZPUB_PUSH_TOKENS_FILE": str(tokens)})
    try:
        pusher = Pusher(app.test_client(), "s3cret-ingest-token-000")
        assert pusher.put(v4_document(DOI)).status_code == 201
        assert pusher.put(v4_document(DOI, "A better title")).status_code == 200
        assert pusher.withdraw(DOI, "retracted").status_code == 200
        assert Pusher(app.test_client(), "wrong-token").put(v4_document(DOI)).status_code == 401
        bad = v4_document(DOI)
        del bad["metadata"]
        assert pusher.put(bad).status_code == 422
    finally:
        app.extensions["dmzpub.store"].close()
    trail = [(r["who"], r["action"], r["doi"], r["outcome"]) for r in audit_lines(log_lines)]
    assert trail == [
        ("ingest-bot", "publish", DOI, "created"),
        ("ingest-bot", "publish", DOI, "updated"),
        ("ingest-bot", "withdraw", DOI, "withdrawn"),
        ("-", "publish", DOI, "refused"),
        ("ingest-bot", "publish", DOI, "refused"),
    ]
    assert [r.get("status") for r in audit_lines(log_lines)][-2:] == [401, 422]
    assert "s3cret-ingest-token-000" not in log_lines.getvalue()


def test_an_unnamed_token_is_named_by_a_fingerprint_and_basic_by_its_user(
    app: Flask, client: Any, log_lines: io.StringIO
) -> None:
    assert Pusher(client).put(v4_document(DOI)).status_code == 201
    basic = base64.b64encode(b"scicat:s3cret").decode()
    reply = client.post(
        "/scicat/oai/Publication",
        json=v4_document("10.99999/audit-0002"),
        headers={"Authorization": f"Basic {basic}"},
    )
    assert reply.status_code == 201, reply.get_data(as_text=True)
    who = [r["who"] for r in audit_lines(log_lines)]
    assert re.fullmatch(r"token-[0-9a-f]{8}", who[0]) and who[1] == "basic:scicat"
    assert TOKEN not in log_lines.getvalue() and "s3cret" not in log_lines.getvalue()


def test_a_changed_tokens_file_is_picked_up_without_a_restart(app_config: dict[str, Any], tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("old:old-token-0123456789\n", encoding="utf-8")
    app = create_app({**app_config, "DMZPUB_PUSH_TOKENS": "", "DMZPUB_PUSH_TOKENS_FILE": str(tokens)})
    try:
        client = app.test_client()
        assert Pusher(client, "old-token-0123456789").get(DOI).status_code == 404  # authenticated, no record
        replacement = tmp_path / "tokens.new"
        replacement.write_text("new:new-token-0123456789\nbare-token-0123456789\n", encoding="utf-8")
        replacement.replace(tokens)  # how an operator (or a config manager) swaps the file
        assert Pusher(client, "old-token-0123456789").get(DOI).status_code == 401
        assert Pusher(client, "new-token-0123456789").get(DOI).status_code == 404
        assert Pusher(client, "bare-token-0123456789").get(DOI).status_code == 404
        tokens.unlink()  # a file briefly missing keeps the tokens read before
        assert Pusher(client, "new-token-0123456789").get(DOI).status_code == 404
    finally:
        app.extensions["dmzpub.store"].close()


def test_every_command_logs_in_the_format_asked_for(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from click.testing import CliRunner

    from oai_server.cli import main

    monkeypatch.setenv("DMZPUB_LOG_FORMAT", "json")
    try:
        CliRunner().invoke(main, ["outbox", "--help"])
        capsys.readouterr()
        logging.getLogger("dmzpub.test").warning("disk %s full", "/var")
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    finally:
        logs.setup()
    assert line["level"] == "WARNING" and line["message"] == "disk /var full" and line["request_id"] == "-"


def test_a_bad_log_format_stops_every_command_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from oai_server.cli import main

    monkeypatch.setenv("DMZPUB_LOG_FORMAT", "xml")
    result = CliRunner().invoke(main, ["check-config"])
    assert result.exit_code == 78 and "DMZPUB_LOG_FORMAT" in result.output and "text or json" in result.output


@pytest.mark.parametrize("kind", ["text", "json"])
def test_a_lines_timestamp_names_its_own_second_when_seconds_alternate(kind: str) -> None:
    stamp = logs.formatter(kind).formatTime
    for created in (1_700_000_000.999, 1_700_000_001.0, 1_700_000_000.25, 0.5, 1_700_000_000.5):
        record = logging.LogRecord("x", logging.INFO, None, 0, "m", (), None)
        record.created, record.msecs = created, (created % 1) * 1000
        plain = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(record.msecs):03d}Z"
        assert stamp(record) == plain


def test_a_bulk_push_leaves_one_audit_line_per_item_naming_the_pusher(
    app_config: dict[str, Any], log_lines: io.StringIO
) -> None:
    app = create_app({**app_config, "DMZPUB_PUSH_TOKENS": "bulk-bot:s3cret-bulk-token-000"})
    try:
        pusher = Pusher(app.test_client(), "s3cret-bulk-token-000")
        bad = v4_document("10.99999/audit-0003")
        del bad["metadata"]
        answer = pusher.bulk([v4_document(DOI), bad, "not a document", v4_document(DOI)])
        assert answer.status_code == 207
    finally:
        app.extensions["dmzpub.store"].close()
    trail = [(r["who"], r["doi"], r["outcome"], r.get("status")) for r in audit_lines(log_lines)]
    assert trail == [
        ("bulk-bot", "10.99999/audit-0003", "refused", 422),
        ("bulk-bot", "#2", "refused", 400),
        ("bulk-bot", DOI, "created", None),
        ("bulk-bot", DOI, "unchanged", None),
    ]
