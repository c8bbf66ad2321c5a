"""The staged download section written in Python is the built-in template's, byte for byte, for any layout."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from catalogue_core.urls import file_path
from download_cache.area import DatasetStatus
from download_cache.manifest import StagedFile
from download_cache.state import STAGED
from landing.downloads import FILES_SHOWN, Downloads, section, staged_section
from oai_server import create_app
from oai_server.store import of as store_of

BASE_URLS = ("https://data.example.org", "https://example.org/pub & <data>")
KEYS = ("10.17199/ess-2025-00042", '10.1234/a<b>&"c d#?%é')
ODD_NAMES = (
    "README.md",
    "<script>alert('x')</script>&amp;.txt",
    'quote"d name.dat',
    "a b/ü数/run 0001.nxs",
    "100%/#hash?query.h5",
    "run.tar.gz",
    "noextension",
    "deep/" * 10 + "file.json",
)
SIZES = (0, 1, 999, 1000, 999_999, 1_000_000, 123_456_789_012, 10**15, 10**18)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """Return an app whose Jinja environment holds the built-in download section."""
    settings = {"DMZPUB_DATA_DIR": str(tmp_path / "var"), "DMZPUB_DOWNLOAD_DIR": str(tmp_path / "downloads")}
    app = create_app({**settings, "DMZPUB_PUSH_TOKENS": "t", "DMZPUB_BASE_URL": BASE_URLS[0]})
    yield app
    store_of(app).close()


def _layouts() -> Iterator[tuple[StagedFile, ...]]:
    """Yield staged file sets: none, odd names, every size, the page's limit and past it (thousands of files)."""
    rng = random.Random(13)
    yield ()
    yield (StagedFile("only.txt", 1, "0" * 64),)
    yield tuple(StagedFile(name, SIZES[i % len(SIZES)], f"{i:064x}") for i, name in enumerate(ODD_NAMES))
    yield tuple(StagedFile(f"f{i:03d}.dat", size, "ab" * 32) for i, size in enumerate(SIZES))
    for count in (FILES_SHOWN, FILES_SHOWN + 1, FILES_SHOWN + 2, 1_234):
        yield tuple(StagedFile(f"data/{i:05d}.nxs", rng.randrange(10**12), f"{i:064x}") for i in range(count))
    names = [rng.choice(ODD_NAMES) + f"-{i}" for i in range(150)]
    yield tuple(StagedFile(name, rng.choice(SIZES), "cd" * 32) for name in rng.sample(names, len(names)))


def test_the_written_staged_section_is_the_built_in_templates_for_every_layout_and_base_url(app: Flask) -> None:
    template = app.jinja_env.get_template("landing/downloads.html")
    checked = 0
    for base_url in BASE_URLS:
        for key in KEYS:
            for files in _layouts():
                status = DatasetStatus(STAGED, files, "2025-06-03T12:00:00Z")
                downloads = section(status, key, "https://elsewhere.example/x", base_url)
                expected = template.render(downloads=downloads, publisher="ESS & <Co>", brand=None)
                assert staged_section(downloads) == expected
                checked += 1
    assert checked == len(BASE_URLS) * len(KEYS) * len(list(_layouts()))


def test_each_staged_files_link_is_its_file_path_under_the_base_url() -> None:
    files = tuple(StagedFile(name, 1, "0" * 64) for name in ODD_NAMES)
    for base_url in BASE_URLS:
        for key in KEYS:
            downloads = section(DatasetStatus(STAGED, files), key, None, base_url)
            assert isinstance(downloads, Downloads)
            assert {f.path: f.url for f in downloads.all_files} == {
                name: base_url + file_path(key, name) for name in ODD_NAMES
            }
