"""Record pages from write-time parts: the same bytes as a fresh render, live downloads, stale parts never served."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import CLI, Pusher, v4_document
from download_helpers import gunicorn
from flask import Flask, render_template
from flask.testing import FlaskClient
from landing_data import RICH_KEY, hostile_document, mark, rich_document, stage
from markupsafe import Markup, escape
from oai_support import oai_id

from catalogue_core.page_parts import PAGE_PARTS
from landing import citation
from landing.context import page_cache, record_page
from landing.exports import EXPORTS
from landing.parts import Parts
from landing.schemaorg import dataset
from landing.sections import record_sections
from landing.signposting import link_header
from oai_server import create_app
from oai_server.store import of as store_of

PAGE = "/doi/" + RICH_KEY
MANY_FILES = {f"run/{i:03d}.dat": bytes(i) for i in range(120)}


def stored_parts(app: Flask, key: str = RICH_KEY) -> Parts | None:
    text = store_of(app).store.rendered_part(key, PAGE_PARTS)
    return Parts.loads(text) if text else None


def drop_parts(app: Flask, key: str) -> None:
    """Leave the record as a store from before page parts holds it."""
    repo = store_of(app).store
    found = repo.get(key)
    assert found is not None and PAGE_PARTS in found.rendered
    repo.update_rendered(key, {p: x for p, x in found.rendered.items() if p != PAGE_PARTS}, found.sets)
    forget_pages(app)


def forget_pages(app: Flask) -> None:
    with app.app_context():
        page_cache().clear()


def whole_render(app: Flask, key: str = RICH_KEY) -> tuple[str, str]:
    """Return the page rendered in one go from the whole record, without slots or stored parts."""
    with app.test_request_context("/", base_url=app.config["DMZPUB_BASE_URL"] + "/"):
        found = store_of(app).store.get(key, formats=["datacite"])
        assert found is not None
        page = record_page(found)
        sections = record_sections(page)
        head = render_template("landing/meta.html", page=page, jsonld=dataset(page), exports=EXPORTS, **sections)
        files = render_template("landing/downloads.html", downloads=page.downloads, publisher=sections["publisher"])
        main = render_template(
            "landing/record_main.html",
            page=page,
            slots={"downloads": Markup(files), "updated": page.record.datestamp[:10]},
            citation=citation.datacite(page.doi, page.meta),
            bibtex=citation.bibtex(page.doi, page.meta, page.landing_url),
            exports=EXPORTS,
            **sections,
        )
        parts = {"title": escape(page.title), "head": Markup(head), "main": Markup(main)}
        return render_template("landing/record.html", parts=parts), link_header(page)


def page(client: FlaskClient, path: str = PAGE) -> tuple[str, str]:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True), response.headers["Link"]


@pytest.mark.parametrize("state", ["on request", "staged", "many files", "staging", "evicted"])
def test_a_page_from_its_write_time_parts_equals_a_fresh_render(
    app: Flask, client: FlaskClient, pusher: Pusher, state: str
) -> None:
    assert pusher.put(rich_document()).status_code == 201
    area = app.config["DMZPUB_DOWNLOAD_DIR"]
    if state in ("staged", "many files"):
        stage(area, RICH_KEY, MANY_FILES if state == "many files" else None)
    elif state != "on request":
        mark(area, RICH_KEY, state)
    assert stored_parts(app) is not None
    from_parts = page(client)
    assert from_parts == whole_render(app)
    drop_parts(app, RICH_KEY)
    assert stored_parts(app) is None
    assert page(client) == from_parts


def test_the_page_is_assembled_from_the_stored_parts(app: Flask, client: FlaskClient, pusher: Pusher) -> None:
    assert pusher.put(hostile_document()).status_code == 201
    key = "10.1234/hostile-1"
    parts = stored_parts(app, key)
    assert parts is not None and "<script>window" not in parts.head + parts.main  # escaped at write time
    repo = store_of(app).store
    found = repo.get(key)
    assert found is not None
    tampered = Parts(**{**parts.__dict__, "main": parts.main.replace("Mallory", "Written at write time")})
    repo.update_rendered(key, {**found.rendered, PAGE_PARTS: tampered.dumps()}, found.sets)
    forget_pages(app)
    assert "Written at write time" in page(client, "/doi/" + key)[0]


def test_staging_and_evicting_changes_the_page_at_once(app: Flask, client: FlaskClient, pusher: Pusher) -> None:
    assert pusher.put(rich_document()).status_code == 201
    area = app.config["DMZPUB_DOWNLOAD_DIR"]
    body, link = page(client)
    assert "Available on request" in body and 'rel="item"' not in link
    stage(area, RICH_KEY)
    body, link = page(client)
    assert "Download all (ZIP)" in body and '"distribution"' in body and 'rel="item"' in link
    mark(area, RICH_KEY, "evicted")
    body, link = page(client)
    assert "not in the download area" in body and '"distribution"' not in body and 'rel="item"' not in link


def test_parts_rendered_for_another_base_url_are_not_served_until_reindex(
    app: Flask, app_config: dict[str, Any], pusher: Pusher
) -> None:
    assert pusher.put(rich_document()).status_code == 201
    written = stored_parts(app)
    assert written is not None and "https://doi.example.org/doi/" in written.head
    moved = create_app({**app_config, "DMZPUB_BASE_URL": "https://data.example.net"})
    try:
        body, link = page(moved.test_client())
        assert 'href="https://data.example.net/doi/' in body and "doi.example.org" not in body + link
        assert CLI(moved).invoke("reindex").exit_code == 0
        rewritten = stored_parts(moved)
        assert rewritten is not None and rewritten.fingerprint != written.fingerprint
        assert "https://data.example.net/doi/" in rewritten.head
        forget_pages(moved)  # reindex moved the datestamp too: the record's URLs changed in every format
        assert page(moved.test_client()) == whole_render(moved)
    finally:
        store_of(moved).close()


def test_reindex_renders_parts_a_record_lacks_without_moving_its_datestamp(
    app: Flask, client: FlaskClient, pusher: Pusher, runner: CLI
) -> None:
    assert pusher.put(v4_document("10.1234/older-1")).status_code == 201
    before = store_of(app).store.summary("10.1234/older-1")
    drop_parts(app, "10.1234/older-1")
    assert runner.invoke("reindex").output.strip() == "reindexed 1 records, 0 changed; counts rebuilt"
    assert stored_parts(app, "10.1234/older-1") is not None
    assert store_of(app).store.summary("10.1234/older-1") == before


def test_harvesters_never_see_the_page_parts(client: FlaskClient, pusher: Pusher) -> None:
    assert pusher.put(v4_document("10.1234/harvest-1")).status_code == 201
    formats = client.get("/oai?verb=ListMetadataFormats&identifier=" + oai_id("10.1234/harvest-1"))
    assert b"oai_dc" in formats.data and PAGE_PARTS.encode() not in formats.data
    refused = client.get(f"/oai?verb=ListRecords&metadataPrefix={PAGE_PARTS}")
    assert refused.status_code == 200 and b'code="cannotDisseminateFormat"' in refused.data


def test_every_gunicorn_worker_shows_staging_and_eviction_at_once(tmp_path: Path) -> None:
    token = "parts-token-0123456789abcdef0123"
    with gunicorn(tmp_path, DMZPUB_PUSH_TOKENS=token, DMZPUB_THREADS="2") as server:
        base = server["base"]
        pushed = requests.put(
            f"{base}/api/v1/published/{RICH_KEY}",
            json=rich_document(),
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert pushed.status_code == 201

        def pages() -> list[str]:
            # A new connection each time: the two workers take turns accepting them.
            return [requests.get(f"{base}{PAGE}", timeout=30).text for _ in range(16)]

        assert all("Available on request" in body for body in pages())  # now cached in each worker
        stage(tmp_path / "area", RICH_KEY)
        assert all("Download all (ZIP)" in body for body in pages())
        mark(tmp_path / "area", RICH_KEY, "evicted")
        assert all("not in the download area" in body for body in pages())


def test_every_gunicorn_worker_shows_a_push_and_a_withdrawal_at_once(tmp_path: Path) -> None:
    token = "parts-token-0123456789abcdef0123"
    with gunicorn(tmp_path, DMZPUB_PUSH_TOKENS=token, DMZPUB_THREADS="2") as server:
        base, auth = server["base"], {"Authorization": f"Bearer {token}"}
        url = f"{base}/api/v1/published/{RICH_KEY}"
        assert requests.put(url, json=rich_document(), headers=auth, timeout=30).status_code == 201

        def pages() -> list[requests.Response]:
            # A new connection each time: the two workers take turns accepting them.
            return [requests.get(f"{base}{PAGE}", timeout=30) for _ in range(16)]

        assert all("Corrected title" not in page.text for page in pages())  # now cached in each worker
        changed = {**rich_document(), "title": "Corrected title"}
        assert requests.put(url, json=changed, headers=auth, timeout=30).status_code == 200
        assert all("Corrected title" in page.text for page in pages())
        assert requests.delete(url, headers=auth, timeout=30).status_code in (200, 204)
        assert all(page.status_code == 410 for page in pages())


@pytest.mark.parametrize("stored", ["", "not parts", '{"fingerprint": 1}\n<p>', "{}\n"])
def test_unreadable_parts_are_rendered_afresh(app: Flask, client: FlaskClient, pusher: Pusher, stored: str) -> None:
    assert pusher.put(rich_document()).status_code == 201
    repo = store_of(app).store
    found = repo.get(RICH_KEY)
    assert found is not None
    repo.update_rendered(RICH_KEY, {**found.rendered, PAGE_PARTS: stored}, found.sets)
    forget_pages(app)
    assert page(client) == whole_render(app)
