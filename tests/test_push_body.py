"""A pushed body reads as json.loads read it: the same values, the same refusals and messages, the same depth bound."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from conftest import SHARED as SHARED_DIR

from oai_server.api.push import MAX_DEPTH, _json_body, _orjson_body
from oai_server.problems import APIProblem

SHARED = SHARED_DIR / "examples"


def reference(raw: bytes) -> tuple[str, Any]:
    """What the API read before orjson: json.loads with NaN and Infinity refused, then the depth bound."""

    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    try:
        body = json.loads(raw, parse_constant=refuse)
    except (UnicodeDecodeError, ValueError) as exc:
        return "refused", f"body: {exc}"
    except RecursionError:
        return "too deep", None
    return ("too deep", None) if _deeper(body, MAX_DEPTH) else ("read", body)


def _deeper(value: Any, limit: int) -> bool:
    if isinstance(value, dict):
        value = list(value.values())
    if not isinstance(value, list):
        return False
    return limit == 0 or any(_deeper(child, limit - 1) for child in value)


def read(raw: bytes) -> tuple[str, Any]:
    """What the API reads now (oai_server.api.push.read_json without the request)."""
    try:
        found = _orjson_body(raw)
        body, deep = found if found is not None else _json_body(raw)
    except APIProblem as problem:
        return "refused", problem.detail
    return ("too deep", None) if deep else ("read", body)


def typed(value: Any) -> Any:
    """Return the value with every scalar's type beside it: 1, 1.0 and True are equal in Python, not here."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}, list(value)
    if isinstance(value, list):
        return [typed(item) for item in value]
    return type(value).__name__, repr(value)


def same(raw: bytes) -> None:
    got, want = read(raw), reference(raw)
    assert (got[0], typed(got[1])) == (want[0], typed(want[1])), raw[:200]


EDGES = [
    b'{"a": 1, "b": 2, "a": 3}',
    b"12345678901234567890123",
    b"18446744073709551615",
    b"18446744073709551616",
    b"-9223372036854775809",
    b'{"size": 99999999999999999999999, "n": 1}',
    b"[1e400, 1]",
    b"-1e400",
    b"1.0",
    b"[1E2, 0.1, -0.0, 5e-324, 2.4e-324, 1.7976931348623157e308]",
    b'"\\ud800"',
    b'"\xed\xa0\x80"',
    b'"\\ud83d\\ude00 \xf0\x9f\x98\x80"',
    b'"\\u0000"',
    b"\xef\xbb\xbf{}",
    '{"a": "é"}'.encode("utf-16"),
    '{"a": "é"}'.encode("utf-16-le"),
    '{"a": "é"}'.encode("utf-32"),
    b" {} \n\t\r",
    b"\x0c{}",
    b"{}\x00",
    b"NaN",
    b"[Infinity]",
    b'{"a": -Infinity}',
    b"[1,]",
    b'"\xff"',
    b'"a\tb"',
    b"1" * 4300,
    b"1" * 4301,
    b"-" + b"9" * 5000,
    b"",
    b"   ",
    b"01",
    b".5",
    b"true",
    b"null",
    b'"\\/"',
    b'{"k": [true, false, null, "x", 0, -1]}',
    b"[" * MAX_DEPTH + b"]" * MAX_DEPTH,
    b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
    b'{"a":' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1),
    b"[" * 1100 + b"]" * 1100,
    b"[" * 200_000 + b"]" * 200_000,
    b"[" * 5000,
]


@pytest.mark.parametrize("raw", EDGES, ids=range(len(EDGES)))
def test_an_odd_body_reads_as_json_read_it(raw: bytes) -> None:
    same(raw)


def test_every_shared_example_and_its_bulk_array_read_as_json_read_them() -> None:
    files = sorted(SHARED.rglob("*.json"))
    assert len(files) > 10
    documents = []
    for path in files:
        raw = path.read_bytes()
        same(raw)
        documents.append(json.loads(raw))
    same(json.dumps(documents).encode())
    same(json.dumps(documents, ensure_ascii=False).encode())


def test_random_bodies_read_as_json_read_them() -> None:
    rng = random.Random(13)
    scalars = [
        lambda: rng.randint(-(2**70), 2**70),
        lambda: rng.randint(-5, 5),
        lambda: rng.random() * 10 ** rng.randint(-30, 30),
        lambda: rng.choice([True, False, None]),
        lambda: "".join(
            chr(rng.choice([rng.randint(32, 126), rng.randint(0x80, 0x2FFF), 0xD800, 0x1F600]))
            for _ in range(rng.randint(0, 8))
        ),
    ]

    def value(depth: int) -> Any:
        pick = rng.random()
        if depth > 0 and pick < 0.25:
            return [value(depth - 1) for _ in range(rng.randint(0, 4))]
        if depth > 0 and pick < 0.5:
            return {rng.choice("abcdé"): value(depth - 1) for _ in range(rng.randint(0, 4))}
        return rng.choice(scalars)()

    for _ in range(2000):
        body = value(rng.randint(0, 40))
        same(json.dumps(body).encode())
        same(json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass"))
