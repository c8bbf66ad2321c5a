"""SciCat's replies are read to the values `response.json()` gave, faster; a plain page is not walked again."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
import requests
from conftest import SHARED

from catalogue_core.publisher.source import PlainPage, known_plain, reply_json
from catalogue_core.publisher.sync import SourceRecord, read

ODD = [
    b'[{"doi": "10.5555/x", "n": 1}]',
    b'[{"size": 1.5}]',
    b"[18446744073709551616, -9223372036854775809, 18446744073709551615]",
    b"[1e400]",
    b"[NaN, Infinity]",
    b'["\\ud800"]',
    b"\xef\xbb\xbf[1]",
    b'["\xff"]',
    '["caf\u00e9"]'.encode(),
    '["caf\u00e9"]'.encode("latin-1"),
    b'{"a": 1, "b": 2, "a": 3}',
    b"[1] x",
    b"",
    b"  [ ]  ",
    b'{"count": 3}',
    b"[" * 2000 + b"]" * 2000,
]


def _response(body: bytes, content_type: str | None) -> requests.Response:
    response = requests.Response()
    response._content = body
    response.status_code = 200
    if content_type:
        response.headers["Content-Type"] = content_type
    response.encoding = requests.utils.get_encoding_from_headers(response.headers)
    return response


def _outcome(read_json: Any) -> Any:
    try:
        value = read_json()
    except (ValueError, RecursionError) as exc:
        return type(exc).__name__
    return json.dumps(value, sort_keys=False), type(value) is dict


CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "application/json; charset=latin-1", None]


def _same(body: bytes, content_type: str | None) -> bool:
    return _outcome(lambda: reply_json(_response(body, content_type))) == _outcome(
        lambda: _response(body, content_type).json()
    )


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
@pytest.mark.parametrize("body", ODD)
def test_a_reply_reads_as_requests_read_it(body: bytes, content_type: str | None) -> None:
    assert _same(body, content_type)


def test_every_shared_example_page_reads_as_requests_read_it() -> None:
    for path in sorted((SHARED / "examples").rglob("*.json")):
        assert _same(path.read_bytes(), "application/json"), path


def test_random_pages_read_as_requests_read_them() -> None:
    rng = random.Random(22)
    pieces = ["1", "1.0", "-0", "1e5", "2" * 25, '"a"', '"\\u00e9"', '"\\ud83d\\ude00"', "null", "true", "[]", "{}"]
    for _ in range(500):
        items = ", ".join(f'{{"doi": "10.5555/{i}", "v": {rng.choice(pieces)}}}' for i in range(5))
        body = f"[{items}]".encode()
        assert _same(body, "application/json"), body


def test_only_a_page_without_floats_read_by_orjson_is_told_plain() -> None:
    plain = reply_json(_response(b'[{"doi": "10.5555/x", "n": 1}]', "application/json"))
    assert type(plain) is PlainPage and known_plain(plain) is True
    for body, content_type in [(b'[{"n": 1.5}]', "application/json"), (b"[1]", "application/json; charset=latin-1")]:
        page = reply_json(_response(body, content_type))
        assert type(page) is list and known_plain(page) is None


def _as_read(record: SourceRecord | None) -> Any:
    return record and (record, record.body, record.plain)


def test_the_records_of_a_page_told_plain_are_the_records_read_alone() -> None:
    told_plain = 0
    for path in sorted((SHARED / "examples").rglob("*.json")):
        page = reply_json(_response(path.read_bytes(), "application/json"))
        for document in page if isinstance(page, list) else [page]:
            told, walked = read(document, known_plain(page)), read(document)
            assert (told, told and told.body, told and told.plain) == (
                walked,
                walked and walked.body,
                walked and walked.plain,
            )
        told_plain += known_plain(page) is True
    assert told_plain
