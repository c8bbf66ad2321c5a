"""Hostile requests to the public routes get a clear answer, never a 500 (each case was once a finding)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import NS, TOKEN, Pusher, v4_document
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree
from test_download_routes import DOI, FILES, KEY, BufferedClient, publish_and_stage

from download_cache.area import file_url

# A query string whose bytes are not UTF-8, as a client can put it on the request line (gunicorn hands
# WSGI the bytes as latin-1): Werkzeug's request.args decodes it strictly and raised UnicodeDecodeError.
BLOB = FILES["data/blob.bin"]


@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    return {**app_config, "DMZPUB_DOWNLOAD_DIR": str(tmp_path / "area")}


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = BufferedClient
    return app.test_client()


@pytest.fixture
def staged(pusher: Pusher, tmp_path: Path) -> Path:
    publish_and_stage(pusher, tmp_path / "area", tmp_path / "src", DOI, FILES)
    return tmp_path / "area"


RAW_QUERIES = ["verb=Identify&x=\xff\xfe", "verb=\xc3\x28", "\xff=\xff", "verb=ListRecords&metadataPrefix=\xe2\x80"]


@pytest.mark.parametrize("query", RAW_QUERIES)
def test_oai_answers_non_utf8_query_bytes_with_an_oai_error(client: Any, query: str) -> None:
    response = client.get("/oai", environ_overrides={"QUERY_STRING": query})
    assert response.status_code == 200
    codes = etree.fromstring(response.data).xpath("//oai:error/@code", namespaces=NS)
    assert codes and set(codes) <= {"badArgument", "badVerb", "cannotDisseminateFormat"}, codes


@pytest.mark.parametrize("path", ["/", "/sitemap.xml", "/doi/10.5555/none"])
@pytest.mark.parametrize("query", ["q=\xff\xfe", "after=\xc3\x28&page=\xff"])
def test_pages_answer_non_utf8_query_bytes(client: Any, path: str, query: str) -> None:
    response = client.get(path, environ_overrides={"QUERY_STRING": query})
    assert response.status_code in (200, 400, 404), response.status_code


@pytest.mark.parametrize("query", ["after=\xff", "limit=\xff", "\xff=1"])
def test_api_answers_non_utf8_query_bytes_with_a_problem(client: Any, query: str) -> None:
    response = client.get(
        "/api/v1/published", environ_overrides={"QUERY_STRING": query}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code in (200, 400), response.status_code
    assert response.is_json


# Range semantics of RFC 9110 §14 that Werkzeug's make_conditional got wrong for direct (non-nginx) downloads.
@pytest.mark.parametrize(
    ("header", "status", "content_range", "body"),
    [
        # A suffix longer than the file means the whole file (§14.1.2), also past 64-bit numbers.
        ("bytes=-200000", 206, "bytes 0-99999/100000", BLOB),
        ("bytes=-99999999999999999999999", 206, "bytes 0-99999/100000", BLOB),
        # An unknown range unit, or a syntactically invalid range, is ignored (§14.2): the whole file.
        ("items=0-1", 200, None, BLOB),
        ("bytes=5-1", 200, None, BLOB),
        ("bytes=", 200, None, BLOB),
        ("bytes=1e3-", 200, None, BLOB),
        ("bytes=0x10-0x20", 200, None, BLOB),
        # Several ranges: we send no multipart/byteranges, so the whole file, not a 416 (§14.2 lets us ignore).
        ("bytes=0-1,5-6", 200, None, BLOB),
        ("bytes=0-1,0-1,0-1", 200, None, BLOB),
        # Still unsatisfiable: a zero suffix, a start past the end.
        ("bytes=-0", 416, "bytes */100000", None),
        ("bytes=99999999999999999999999-", 416, "bytes */100000", None),
        # Numbers past int()'s 4300-digit limit.
        ("bytes=-" + "9" * 5000, 206, "bytes 0-99999/100000", BLOB),
        ("bytes=0-" + "9" * 5000, 206, "bytes 0-99999/100000", BLOB),
        ("bytes=" + "9" * 5000 + "-", 416, "bytes */100000", None),
        ("bytes=" + "9" * 5000 + "-" + "9" * 5001, 416, "bytes */100000", None),
        # Still honoured: the unit is case-insensitive, an end past the file is clipped.
        ("BYTES=0-1", 206, "bytes 0-1/100000", BLOB[:2]),
        ("bytes=0-99999999999999999999999", 206, "bytes 0-99999/100000", BLOB),
    ],
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_download_range_edge_cases(
    client: Any, staged: Any, method: str, header: str, status: int, content_range: str | None, body: bytes | None
) -> None:
    response = client.open(file_url(KEY, "data/blob.bin"), method=method, headers={"Range": header})
    assert response.status_code == status
    assert response.headers.get("Content-Range") == content_range
    if body is not None:
        assert response.headers["Content-Length"] == str(len(body))
        assert response.data == (body if method == "GET" else b"")


@pytest.mark.parametrize(
    ("if_range", "status"),
    [
        ("Sun, 31 Dec 9999 23:59:59 GMT", 200),  # a date matches only when equal to Last-Modified (§13.1.5)
        ("Mon, 01 Jan 1900 00:00:00 GMT", 200),
        ("not a date", 200),
        ('W/"abc"', 200),
        ("LAST-MODIFIED", 206),
        ("ETAG", 206),
    ],
)
def test_download_if_range_matches_exactly(client: Any, staged: Any, if_range: str, status: int) -> None:
    url = file_url(KEY, "data/blob.bin")
    validators = client.head(url).headers
    if_range = {"LAST-MODIFIED": validators["Last-Modified"], "ETAG": validators["ETag"]}.get(if_range, if_range)
    response = client.get(url, headers={"Range": "bytes=10-19", "If-Range": if_range})
    assert response.status_code == status
    assert response.data == (BLOB[10:20] if status == 206 else BLOB)


# The CSL-JSON export took str.isdigit() for "int() parses this": an Issued date "2020-²" was a 500.
@pytest.mark.parametrize(
    ("date", "parts"), [("2020-²", [2020]), ("²-01-01", []), ("2020-xx-04", [2020]), ("2021-03-04", [2021, 3, 4])]
)
def test_csl_export_survives_odd_issued_dates(client: Any, pusher: Pusher, date: str, parts: list[int]) -> None:
    document = v4_document("10.5555/odd-date")
    document["metadata"]["dates"] = [{"dateType": "Issued", "date": date}]
    assert pusher.put(document).status_code == 201
    response = client.get("/doi/10.5555/odd-date", headers={"Accept": "application/vnd.citationstyles.csl+json"})
    assert response.status_code == 200
    assert response.get_json()["issued"]["date-parts"] == [parts]
