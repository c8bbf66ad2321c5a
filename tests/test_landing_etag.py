"""A page's ETag (made from its parts' identity and live values, not its body) changes with every byte of it."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CLI
from landing_data import mark, rich_document, stage

from catalogue_core.page_parts import PAGE_PARTS
from download_cache.area import QUARANTINE, DownloadArea
from landing import cache, release
from landing.parts import Parts
from oai_server import create_app, templates_folder
from oai_server.store import of as store_of

DOI = "10.17199/ess-2025-00042"
MAIN, BODY = "{{ parts.main }}", "{{ record_main() }}"  # where the frame and the body templates are changed
KEEP = ("ETag", "Link", "Content-Type", "Cache-Control")


class Site:
    """One store and download area, served by a new app (a new worker) for each fetch."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.area = folder / "downloads"
        self.settings = {
            "DMZPUB_DATA_DIR": str(folder / "var"),
            "DMZPUB_DOWNLOAD_DIR": str(self.area),
            "DMZPUB_PUSH_TOKENS": "t",
            "DMZPUB_BASE_URL": "https://data.example.org",
        }

    def push(self, document: dict[str, Any]) -> None:
        app = create_app(self.settings)
        try:
            answer = app.test_client().put(
                f"/api/v1/published/{DOI}", json=document, headers={"Authorization": "Bearer t"}
            )
            assert answer.status_code in (200, 201), answer.data
        finally:
            store_of(app).close()

    def republish(self, document: dict[str, Any]) -> None:
        """Withdraw the record and publish the same content again: only its datestamp moves (same day)."""
        app = create_app(self.settings)
        try:
            answer = app.test_client().delete(f"/api/v1/published/{DOI}", headers={"Authorization": "Bearer t"})
            assert answer.status_code in (200, 204), answer.data
        finally:
            store_of(app).close()
        self.push(document)

    def fetch(self, root: str = "", **settings: str) -> tuple[str, tuple[Any, ...]]:
        """Return the page's ETag and the whole answer but it (status, kept headers, body), from a new app."""
        app = create_app({**self.settings, **settings})
        try:
            path, raw = f"/doi/{DOI}", {"RAW_URI": f"{root}/doi/{DOI}"}  # as gunicorn gives the request line
            answer = app.test_client().get(path, base_url=f"http://localhost{root}/", environ_overrides=raw)
            assert answer.status_code == 200, (settings, root, answer.headers.get("Location"))
            kept = tuple((k, answer.headers.get(k)) for k in KEEP if k != "ETag")
            return answer.headers["ETag"], (kept, answer.data)
        finally:
            store_of(app).close()

    def fingerprint(self) -> str:
        """Return the fingerprint of the record's stored parts."""
        app = create_app(self.settings)
        try:
            parts = Parts.loads(store_of(app).store.rendered_part(DOI.lower(), PAGE_PARTS) or "")
            assert parts is not None
            return parts.fingerprint
        finally:
            store_of(app).close()

    def reindex(self) -> None:
        app = create_app(self.settings)
        try:
            assert CLI(app).invoke("reindex").exit_code == 0
        finally:
            store_of(app).close()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    monkeypatch.setattr(cache, "PAGE_CACHE_SIZE", 0)  # every fetch renders: the ETag is made at render
    site = Site(tmp_path)
    site.push(rich_document())
    yield site


def _templates(folder: Path, name: str, old: str, new: str) -> str:
    """Return a template folder overriding one built-in template with a changed copy."""
    text = (templates_folder() / "landing" / name).read_text(encoding="utf-8")
    assert old in text
    (folder / "landing").mkdir(parents=True, exist_ok=True)
    (folder / "landing" / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    return str(folder)


def test_every_different_answer_has_a_different_etag_and_the_same_answer_the_same_one(site: Site) -> None:
    answers: dict[str, set[tuple[Any, ...]]] = {}
    etags: dict[tuple[Any, ...], set[str]] = {}

    def seen(etag: str, answer: tuple[Any, ...]) -> None:
        answers.setdefault(etag, set()).add(answer)
        etags.setdefault(answer, set()).add(etag)

    key = DOI.lower()
    dataset = DownloadArea(site.area).dataset_dir(key)
    changed = copy.deepcopy(rich_document())
    changed["title"] += " (revised)"
    steps = [
        ("absent", lambda: None),
        ("staging", lambda: mark(site.area, key, "staging")),
        ("staged", lambda: stage(site.area, key)),
        ("other files", lambda: stage(site.area, key, {"a.h5": b"1", "b.csv": b"22"})),
        ("staged later", lambda: stage(site.area, key, {"a.h5": b"1", "b.csv": b"22"}, "2026-01-01T00:00:00Z")),
        ("evicted", lambda: mark(site.area, key, "evicted")),
        ("gone", lambda: shutil.rmtree(dataset)),
        ("quarantined", lambda: (site.area / QUARANTINE / dataset.name).mkdir(parents=True)),
        ("revised record", lambda: site.push(changed)),
        ("republished", lambda: site.republish(changed)),
    ]
    variants = [
        {},
        {"root": "/pub"},
        {"DMZPUB_SITE_NAME": "Another site"},
        {"DMZPUB_BASE_URL": "https://other.example.org"},
        {"DMZPUB_TEMPLATE_DIR": _templates(site.folder / "t1", "record.html", MAIN, MAIN + "<p>x</p>")},
        {"DMZPUB_TEMPLATE_DIR": _templates(site.folder / "t2", "downloads.html", "<h2", "<h2 class='x'")},
        {"DMZPUB_TEMPLATE_DIR": _templates(site.folder / "t3", "record_main.html", BODY, "<p>y</p>" + BODY)},
    ]
    for _, change in steps:
        change()
        for variant in variants:
            first = site.fetch(**variant)
            seen(*first)
            assert site.fetch(**variant) == first  # another worker: the same answer, the same ETag
    assert len(answers) > len(steps) * 4
    assert all(len(found) == 1 for found in answers.values()), "one ETag for two different answers"
    assert all(len(found) == 1 for found in etags.values()), "two ETags for the same answer"


def test_a_conditional_request_with_the_pages_etag_gets_a_304_and_with_an_old_one_the_page(site: Site) -> None:
    app = create_app(site.settings)
    try:
        client = app.test_client()
        etag = client.get(f"/doi/{DOI}").headers["ETag"]
        assert client.get(f"/doi/{DOI}", headers={"If-None-Match": etag}).status_code == 304
        stage(site.area, DOI.lower())
        answer = client.get(f"/doi/{DOI}", headers={"If-None-Match": etag})
        assert answer.status_code == 200 and answer.headers["ETag"] != etag
    finally:
        store_of(app).close()


def test_exports_of_the_record_carry_no_etag_of_the_page(site: Site) -> None:
    app = create_app(site.settings)
    try:
        client = app.test_client()
        page = client.get(f"/doi/{DOI}")
        export = client.get(f"/doi/{DOI}", headers={"Accept": "application/vnd.datacite.datacite+xml"})
        assert page.headers["ETag"] and export.status_code == 200 and "ETag" not in export.headers
    finally:
        store_of(app).close()


def test_an_upgrade_marks_stored_parts_stale_and_a_reindex_gives_the_same_page_a_new_etag(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    etag, answer = site.fetch()
    written = site.fingerprint()
    # Another MarkupSafe (say, one escaping differently): neither a template nor a module of dmzpub changed.
    upgraded = release._version
    monkeypatch.setattr(release, "_version", lambda name: "99.0" if name == "MarkupSafe" else upgraded(name))
    release.versions.cache_clear()
    try:
        # The stored parts are stale: the page is rendered from the whole record, as the new release writes it.
        stale_etag, stale = site.fetch()
        assert stale == answer and stale_etag != etag
        site.reindex()
        assert site.fingerprint() != written
        assert site.fetch() == (stale_etag, answer)  # from the new parts: the new release's ETag
    finally:
        release.versions.cache_clear()
