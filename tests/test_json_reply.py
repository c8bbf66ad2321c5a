"""The API's JSON replies are the bytes `jsonify` wrote, whatever they hold, and however the app is set up."""

from __future__ import annotations

import datetime
import random
from typing import Any

import pytest
from flask import Flask, jsonify
from test_compact_json import ODD, _random_value

from oai_server import create_app
from oai_server.api.json_reply import json_answer, reply_text


class Text(str):
    pass


class Number(int):
    def __str__(self) -> str:
        return "three"


REPLIES: list[Any] = [
    {"doi": "10.5555/x", "status": "created", "deleted": False, "links": {"self": "http://x/api/v1/published/a"}},
    {"items": [{"index": 0, "doi": None, "httpStatus": 422, "errors": [{"field": "/", "message": "m"}]}]},
    {"doi": "10.5555/\x7f del"},
    {"doi": "10.5555/été"},
    {"doi": 'quote " and \\ backslash', "tab": "\t"},
    {"big": 2**64, "small": -(2**63)},
    {1: "int key"},
    {"float": 1.5},
    [],
    {},
    *ODD,
]


@pytest.fixture(scope="module")
def app() -> Flask:
    return create_app({"TESTING": True})


def _jsonify_body(app: Flask, value: Any) -> bytes | type:
    with app.test_request_context():
        try:
            return jsonify(value).get_data()
        except (TypeError, ValueError) as exc:
            return type(exc)


def _reply_body(app: Flask, value: Any) -> bytes | type:
    try:
        return reply_text(app, value)
    except (TypeError, ValueError) as exc:
        return type(exc)


@pytest.mark.parametrize("value", REPLIES)
def test_a_reply_is_what_jsonify_wrote(app: Flask, value: Any) -> None:
    assert _reply_body(app, value) == _jsonify_body(app, value)


def test_random_replies_are_what_jsonify_wrote(app: Flask) -> None:
    rng = random.Random(22)
    for _ in range(500):
        value = {"items": [_random_value(rng) for _ in range(3)]}
        assert _reply_body(app, value) == _jsonify_body(app, value), value


@pytest.mark.parametrize(
    "value", [{"when": datetime.datetime(2026, 1, 2, 3, 4, 5)}, {"doi": Text("10.5555/x")}, {"n": Number(3)}]
)
def test_a_reply_said_plain_still_writes_dates_and_subclasses_as_jsonify_did(app: Flask, value: Any) -> None:
    assert reply_text(app, value, plain=True) == _jsonify_body(app, value)


@pytest.mark.parametrize("setting", ["debug", "compact off", "sorted", "non-ASCII"])
def test_a_reply_follows_the_apps_json_set_up(setting: str) -> None:
    app = create_app({"TESTING": True})
    if setting == "debug":
        app.debug = True
    elif setting == "compact off":
        app.json.compact = False  # type: ignore[attr-defined]
    elif setting == "sorted":
        app.json.sort_keys = True  # type: ignore[attr-defined]
    else:
        app.json.ensure_ascii = False  # type: ignore[attr-defined]
    value = {"zeta": "é", "alpha": [1, {"b": True, "a": None}]}
    assert _reply_body(app, value) == _jsonify_body(app, value)


def test_an_answer_has_jsonifys_status_headers_and_body(app: Flask) -> None:
    value = {"items": [{"index": 0, "status": "created"}], "summary": {"created": 1}}
    with app.test_request_context():
        response, status = json_answer(app, value, 207)
        expected = jsonify(value)
    assert status == 207
    assert response.get_data() == expected.get_data()
    assert list(response.headers.items()) == list(expected.headers.items())
