"""A record known plain from its parse writes the same stored texts and content hash as one walked for floats."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from test_api_fuzz import mutants
from test_direct_writers import _documents

from catalogue_core.compact_json import is_plain
from catalogue_core.errors import InvalidRecord, NotPublishable
from catalogue_core.record_writer import RecordWriter
from catalogue_core.scicat import from_scicat
from catalogue_core.store.base import json_text
from oai_server.api.push import json_document

_SURROGATE = re.compile("[\ud800-\udfff]")


def _old_text(value: Any) -> str:
    """The stored text as json_text wrote it before orjson: json.dumps, lone surrogates escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _old_hash(metadata: Any, extras: Any) -> str:
    content = {"metadata": metadata, "extras": extras}
    body = json.dumps(content, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return "sha256:" + hashlib.sha256(body.encode()).hexdigest()


def _all_documents() -> Iterator[Any]:
    for _, document in _documents():
        yield document
    for seed in range(3):
        yield from mutants(100 + seed, 300)


def test_a_plain_documents_record_is_plain_and_stores_and_hashes_as_before() -> None:
    writer = RecordWriter(store=None)  # type: ignore[arg-type]  # _entry only reads the record
    told = 0
    for document in _all_documents():
        plain = is_plain(document)
        try:
            record = from_scicat(copy.deepcopy(document), plain=plain)
        except (InvalidRecord, NotPublishable):
            continue
        told += plain
        # The promise from_scicat makes when told: what it made of a plain document is plain too.
        assert not plain or (is_plain(record.metadata) and is_plain(record.extras) and record.plain)
        walked = from_scicat(copy.deepcopy(document))
        assert record.content_hash == walked.content_hash == _old_hash(record.metadata, record.extras)
        entry = writer._entry(record, {})
        assert entry.plain == record.plain == walked.plain
        for value in (entry.metadata, entry.extras, entry.payload):
            assert json_text(value, entry.plain or None) == _old_text(value)
    assert told >= 150  # many mutants stay plain: the told path is what the test exercises


def test_a_record_with_a_float_is_not_plain_and_is_written_by_json() -> None:
    document = copy.deepcopy(next(d for _, d in _documents() if isinstance(d, dict) and "metadata" in d))
    document["metadata"]["geoLocations"] = [{"geoLocationPoint": {"pointLongitude": 1e-05, "pointLatitude": 45.5}}]
    record = from_scicat(document)
    assert not record.plain
    entry = RecordWriter(store=None)._entry(record, {})  # type: ignore[arg-type]
    assert '"pointLongitude":1e-05' in json_text(entry.metadata, entry.plain or None)
    assert record.content_hash == _old_hash(record.metadata, record.extras)


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        (b'[{"doi": "10.1/x", "n": 18446744073709551615, "t": true, "z": null}]', True),
        (b'{"a": [1, 2, {"b": "c"}]}', True),
        (b'{"a": 1.5}', False),  # json reads floats
        (b'{"a": 1.0}', False),
        (b"[18446744073709551616]", False),  # orjson reads it as a float: json reads the integer
        (b'"\\ud800"', False),  # orjson refuses a lone surrogate: json reads it
    ],
)
def test_a_body_is_known_plain_only_when_orjson_read_it_without_a_float(raw: bytes, plain: bool) -> None:
    app = Flask(__name__)
    with app.app_context():
        body, told = json_document("application/json", lambda: raw, len(raw))
    assert told is plain
    assert body == json.loads(raw)
    assert not told or is_plain(body)
