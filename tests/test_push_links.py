"""A bulk reply's self links are the links url_for builds, for any key, base URL and script root."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import TOKEN, v4_document
from flask import Flask

from oai_server import create_app
from oai_server.api.push import public_url, record_link
from oai_server.store import of as store_of

KEYS = [
    "10.5555/abc",
    "10.5555/a b#c?d=e&f%20g",
    "10.5555/ÄÖÜ/é/日本",
    "10.5555/..//x/./",
    "10.5555/<>\"'`{}|\\^~[]",
    "10.5555/!$&'()*+,;=:@-._~",
    "10.5555/%",
    "10.5555/\x7f\t\n",
    "10.5555/😀",
]


@pytest.fixture(params=["https://doi.example.org", "https://example.org/pub/"])
def app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DMZPUB_DATA_DIR": str(tmp_path),
            "DMZPUB_PUSH_TOKENS": TOKEN,
            "DMZPUB_BASE_URL": request.param,
        }
    )
    yield app
    store_of(app).close()


def random_keys(count: int) -> list[str]:
    rng = random.Random(13)
    alphabet = [chr(c) for c in range(32, 127)] + ["é", "ß", "日", "😀", "\u00a0", "\u2028"]
    return ["10.5555/" + "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 20))) for _ in range(count)]


@pytest.mark.parametrize("script_root", ["", "/pub", "/a b"])
def test_a_record_link_is_what_url_for_builds(app: Flask, script_root: str) -> None:
    with app.test_request_context("/api/v1/published", method="POST", environ_base={"SCRIPT_NAME": script_root}):
        link = record_link()
        for key in KEYS + random_keys(2000):
            want: Any = public_url("push.get_record", doi=key)
            assert link(key) == want, key


def test_a_bulk_reply_links_each_record_as_its_put_reply_does(app: Flask) -> None:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    documents = [v4_document(f"10.5555/Link-{n}(é)%;#") for n in range(3)]
    bulk = client.post("/api/v1/published", json=documents, headers=headers)
    assert bulk.status_code == 200, bulk.get_data(as_text=True)
    for document, item in zip(documents, bulk.get_json()["items"], strict=True):
        path = item["links"]["self"].removeprefix(app.config["DMZPUB_BASE_URL"])  # the quoted DOI routes back to it
        put = client.put(path, json=document, headers=headers)
        assert put.get_json()["links"] == item["links"]
        assert put.headers["Location"] == item["links"]["self"]
        assert client.get(path, headers=headers).get_json()["doi"] == document["doi"]
