"""The distribution member written directly is the one the templates' tojson writes, byte for byte."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from landing_data import rich_document, stage
from lxml import html

from download_cache.area import DatasetStatus
from download_cache.manifest import StagedFile
from download_cache.state import ABSENT, EVICTED, STAGED, STAGING
from landing import parts, schemaorg
from landing.downloads import section
from landing.live_json import distribution_member, plain_json
from oai_server import create_app
from oai_server.store import of as store_of

BASE_URLS = ("https://data.example.org", "https://example.org/pub & <data>'s", "https://dåta.example.org/ü")
KEYS = ("10.17199/ess-2025-00042", "10.1234/a<b>&\"c d#?%é'")
ODD_NAMES = (
    "README.md",
    "<script>alert('x')</script>&amp;.txt",
    'quote"d \\ back\\slash.dat',
    "a b/ü数/run 0001.nxs",
    "100%/#hash?query.h5",
    "tab\there\nnew line\u2028sep\u2029.csv",
    "\x00\x1f\x7f control.bin",
    "emoji 🧪.json",
    "run.tar.gz",
    "noextension",
    "x:colon.pdf",
)
SIZES = (0, 1, 999, 10**15, 10**18)
DOI = "10.17199/ess-2025-00042"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """Return an app as create_app makes it (its JSON settings are the ones the direct writer takes)."""
    settings = {"DMZPUB_DATA_DIR": str(tmp_path / "var"), "DMZPUB_DOWNLOAD_DIR": str(tmp_path / "downloads")}
    app = create_app({**settings, "DMZPUB_PUSH_TOKENS": "t"})
    yield app
    store_of(app).close()


def _layouts() -> Iterator[tuple[StagedFile, ...]]:
    """Yield staged file sets: none, one, odd names at every size, at and past the described limit."""
    yield ()
    yield (StagedFile("only.txt", 1, "0" * 64),)
    yield tuple(StagedFile(name, SIZES[i % len(SIZES)], f"{i:064x}") for i, name in enumerate(ODD_NAMES))
    for count in (schemaorg.FILES_DESCRIBED - 1, schemaorg.FILES_DESCRIBED, schemaorg.FILES_DESCRIBED + 1, 300):
        yield tuple(StagedFile(f"data/{i:05d}.nxs", i * 7919, f"{i:064x}") for i in range(count))


def test_the_written_distribution_is_flasks_tojson_for_every_layout_key_and_base_url(app: Flask) -> None:
    checked = 0
    with app.app_context():
        assert plain_json(app)
        for base_url in BASE_URLS:
            for key in KEYS:
                for files in _layouts():
                    downloads = section(DatasetStatus(STAGED, files, "2025-06-03T12:00:00Z"), key, None, base_url)
                    expected = parts._member("distribution", schemaorg.distribution(downloads))
                    assert distribution_member(downloads) == expected
                    checked += 1
    assert checked == len(BASE_URLS) * len(KEYS) * len(list(_layouts()))


@pytest.mark.parametrize("state", [ABSENT, STAGING, EVICTED])
def test_a_dataset_not_staged_has_no_distribution_member(app: Flask, state: str) -> None:
    assert distribution_member(section(DatasetStatus(state), DOI, "https://elsewhere.example/x", BASE_URLS[0])) == ""
    assert distribution_member(None) == ""


def _distribution_of(app: Flask) -> tuple[str, list[dict[str, str]]]:
    """Return the staged page's JSON-LD text and its distribution, after pushing and staging the rich record."""
    client = app.test_client()
    response = client.put(f"/api/v1/published/{DOI}", json=rich_document(), headers={"Authorization": "Bearer t"})
    assert response.status_code in (200, 201)
    stage(app.config["DMZPUB_DOWNLOAD_DIR"], DOI, {"é<&>'.txt": b"x", "b.h5": b"yy"})
    [block] = html.fromstring(client.get(f"/doi/{DOI}").data).xpath("//script[@type='application/ld+json']/text()")
    return block, json.loads(block)["distribution"]


def test_a_facilitys_own_json_settings_still_shape_the_distribution(app: Flask) -> None:
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    assert not plain_json(app)
    block, distribution = _distribution_of(app)
    assert [d["name"] for d in distribution] == ["Whole dataset (ZIP)", "b.h5", "é<&>'.txt"]
    assert '"name": "é\\u003c' in block  # not escaped to ASCII: the app's settings were followed


def test_the_direct_distribution_reaches_the_page_escaped_as_tojson_does(app: Flask) -> None:
    block, distribution = _distribution_of(app)
    assert [d["name"] for d in distribution] == ["Whole dataset (ZIP)", "b.h5", "é<&>'.txt"]
    assert '"name": "\\u00e9\\u003c\\u0026\\u003e\\u0027.txt"' in block
