"""A page's download section is the same value as built by the dataclasses' own constructors, for any file name."""

from __future__ import annotations

from catalogue_core.urls import checksums_path, file_path, listing_path, zip_path
from download_cache.area import DatasetStatus
from download_cache.manifest import StagedFile
from download_cache.media import media_type
from landing.downloads import Downloads, FileLink, section
from landing.model import human_size

BASE = "https://data.example.org"
KEY = "10.17199/ess-2025-00042"
NAMES = ["README.md", "raw/run 12.nxs", "a#b?c%d.h5", "données/é.csv", "x:y@z!$&'()*+,;=~-_.txt", "b/../c", "Z.dat"]


def _expected(status: DatasetStatus, external: str | None) -> Downloads:
    """Return the section as Downloads(...) and FileLink(...) build it (the frozen dataclasses' __init__)."""
    if status.state != "staged":
        return Downloads(status.state, external_url=external)
    folder = BASE + file_path(KEY, "")
    links = tuple(
        FileLink(f.path, BASE + file_path(KEY, f.path), f.size, human_size(f.size), f.sha256, media_type(f.path))
        for f in sorted(status.files, key=lambda f: f.path)
    )
    assert all(link.url.startswith(folder) for link in links)
    urls = (BASE + zip_path(KEY), BASE + listing_path(KEY), BASE + checksums_path(KEY))  # in the fields' order
    return Downloads("staged", links[:100], len(links), status.total_size, *urls, external, status.staged, links)


def test_a_staged_section_equals_the_one_its_constructors_build_whatever_the_file_names() -> None:
    files = tuple(StagedFile(name, 10**i, f"{i:064x}") for i, name in enumerate(NAMES))
    status = DatasetStatus("staged", files, "2025-06-03T12:00:00Z")
    for external in (None, "https://elsewhere.example.org/data"):
        made = section(status, KEY, external, BASE)
        assert made == _expected(status, external) and hash(made) == hash(_expected(status, external))
        assert [link.url for link in made.files][:2] == [
            f"{BASE}/download/{KEY}/README.md",
            f"{BASE}/download/{KEY}/Z.dat",
        ]


def test_a_section_not_staged_equals_the_one_its_constructor_builds_and_stays_frozen() -> None:
    for state in ("absent", "staging", "evicted", "quarantined"):
        made = section(DatasetStatus(state), KEY, None, BASE)
        assert made == _expected(DatasetStatus(state), None) and made.files == made.all_files == ()
        try:
            made.state = "staged"  # type: ignore[misc]
        except AttributeError:
            continue
        raise AssertionError("a section must stay frozen")
