"""The fast compact JSON writes what `json.dumps` wrote, byte for byte, so stored texts and content hashes stay."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from conftest import SHARED
from test_api_fuzz import mutants

from catalogue_core import compact_json
from catalogue_core.errors import InvalidRecord
from catalogue_core.record import canonical_json
from catalogue_core.scicat import from_scicat
from catalogue_core.store.base import json_text

# What orjson writes differently or refuses, and what looks like it inside strings.
ODD: list[Any] = [
    1e-05, 1e16, -0.0, 5e-324, 1e308, float("inf"), float("-inf"), float("nan"), 0.1, 3.0, 2**63 - 1, -(2**63),
    2**64 - 1, 2**64, -(2**64), 10**30, True, None, "\ud800", "\udfff x", "\x00\x08\x0c\x1f\x7f\u2028\"\\/",
    "\U0001f600", "08:30:00.000Z", "ratio 3:1.5,", "null", (1, 2), {1: "int key"}, {None: 1, True: 2},
]  # fmt: skip
_PIECES = ["a", "é", "\u2028", "\x00", "\x1f", '"', "\\", "\U0001f600", "\ud800", "1", "e", ".", ":", ",", "null"]


def _old(value: Any, sort_keys: bool) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)


def _same(value: Any) -> None:
    for sort_keys in (False, True):
        try:
            expected: Any = _old(value, sort_keys)
        except (TypeError, ValueError) as exc:
            expected = type(exc)
        try:
            got: Any = compact_json.dumps(value, sort_keys)
        except (TypeError, ValueError) as exc:
            got = type(exc)
        assert got == expected, value


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randint(0, 9 if depth < 4 else 3)
    if kind == 0:
        return rng.choice(ODD)
    if kind == 1:
        return rng.randint(-(10**6), 10**6)
    if kind <= 3:
        return "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 6)))
    if kind <= 6:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {"".join(rng.choice(_PIECES) for _ in range(3)): _random_value(rng, depth + 1) for _ in range(4)}


def test_every_example_document_and_its_record_are_written_as_json_wrote_them() -> None:
    examples = sorted((SHARED / "examples").rglob("*.json"))
    assert len(examples) >= 10
    for path in examples:
        document = json.loads(path.read_text())
        _same(document)
        if isinstance(document, dict) and document.get("doi"):
            try:
                record = from_scicat(document)
            except InvalidRecord:  # the private example
                continue
            _same(record.metadata)
            _same({"metadata": record.metadata, "extras": record.extras})


@pytest.mark.parametrize("value", ODD, ids=repr)
def test_floats_big_integers_surrogates_and_odd_keys_are_written_as_json_wrote_them(value: Any) -> None:
    _same(value)
    _same({"x": [value, {"y": value}]})


@pytest.mark.parametrize("seed", range(3))
def test_random_nested_values_are_written_as_json_wrote_them(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(3000):
        _same(_random_value(rng))


def test_hostile_documents_are_written_as_json_wrote_them() -> None:
    for document in mutants(11, 500):
        _same(document)


def test_stored_text_and_the_content_hash_text_keep_their_old_bytes() -> None:
    value = {"b": [1e-05, "\ud800"], "a": {"z": 1, "é": None}}
    assert json_text(value) == '{"b":[1e-05,"\\ud800"],"a":{"z":1,"é":null}}'
    assert canonical_json(value) == _old(value, sort_keys=True)
    plain = {"b": ["x", 2**63 - 1], "a": {"z": True, "é": None}}
    assert canonical_json(plain) == '{"a":{"z":true,"é":null},"b":["x",9223372036854775807]}'


def typed(value: Any) -> Any:
    """Return the value with every node's type beside it, so 1 and True, 1.0 and 1 differ."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, repr(value))


def test_loads_reads_what_json_reads_and_calls_plain_only_what_is_plain() -> None:
    rng = random.Random(11)
    texts = [json.dumps(_random_value(rng), ensure_ascii=rng.random() < 0.5) for _ in range(3000)]
    texts += [json.dumps(value) for value in ODD if not isinstance(value, tuple | dict)]
    texts += ["NaN", "[1E400]", '"\\ud800"', '{"a":1,"a":2}', "-0", "[18446744073709551615]", "[2.0]"]
    told_plain = 0
    for text in texts:
        value, plain = compact_json.loads(text)
        assert typed(value) == typed(json.loads(text)), text
        assert not plain or compact_json.is_plain(value), text
        told_plain += plain
    assert told_plain > len(texts) // 10  # plain texts are told plain: the point of it


def test_loads_tells_every_plain_example_document_plain() -> None:
    for path in sorted((SHARED / "examples").rglob("*.json")):
        text = path.read_text()
        plain = compact_json.loads(text)[1]
        assert plain == compact_json.is_plain(json.loads(text)), path
