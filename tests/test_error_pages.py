"""People get HTML error pages in the site's look; the API keeps problem+json; branding settings apply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Pusher, v4_document
from flask import Flask

from catalogue_core.errors import StoreUnavailable
from download_cache.area import QUARANTINE, DownloadArea, dataset_dirname
from oai_server import create_app
from oai_server.config import ConfigError, load_settings

DOI = "10.99999/errors-0001"


@pytest.fixture
def crashing(app: Flask) -> Flask:
    """Add routes that fail the ways real ones can, on a page path and an API path."""

    def crash() -> str:
        raise RuntimeError("a bug")

    def store_down() -> str:
        raise StoreUnavailable("down")

    app.add_url_rule("/test-only/crash", "crash", crash)
    app.add_url_rule("/api/v1/test-only/crash", "api_crash", crash)
    app.add_url_rule("/test-only/store-down", "store_down", store_down)
    app.add_url_rule("/api/v1/test-only/store-down", "api_store_down", store_down)
    return app


@pytest.mark.parametrize(
    ("path", "status"),
    [("/no/such/page", 404), ("/test-only/crash", 500), ("/test-only/store-down", 503), ("/healthz", 405)],
)
def test_pages_for_people_answer_html_error_pages_with_a_way_back(crashing: Flask, path: str, status: int) -> None:
    client = crashing.test_client()
    response = client.post(path) if status == 405 else client.get(path)
    assert response.status_code == status and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert f"Error {status}" in page and 'href="/"' in page  # the way back to the index
    assert "Traceback" not in page and "a bug" not in page
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    if status == 503:
        assert response.headers["Retry-After"] == "30"


@pytest.mark.parametrize(("path", "status"), [("/api/v1/test-only/crash", 500), ("/api/v1/test-only/store-down", 503)])
def test_the_api_keeps_problem_json_for_unexpected_errors_and_outages(crashing: Flask, path: str, status: int) -> None:
    response = crashing.test_client().get(path)
    assert response.status_code == status and response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == status


def test_download_errors_are_pages_linking_to_the_dataset(app: Flask, client: Any, pusher: Pusher) -> None:
    assert pusher.put(v4_document(DOI)).status_code == 201
    response = client.get(f"/download/{DOI}/missing.dat")
    assert response.status_code == 404 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "has no files in the download area" in page and f'href="/doi/{DOI}"' in page
    pusher.withdraw(DOI)
    gone = client.get(f"/download/{DOI}/missing.dat")
    assert gone.status_code == 410 and "was withdrawn" in gone.get_data(as_text=True)
    assert f'href="/doi/{DOI}"' in gone.get_data(as_text=True)


def test_a_quarantined_dataset_says_so_on_its_page_and_download(app: Flask, client: Any, pusher: Pusher) -> None:
    assert pusher.put(v4_document(DOI)).status_code == 201
    root = Path(app.config["DMZPUB_DOWNLOAD_DIR"])
    (root / dataset_dirname(DOI)).mkdir(parents=True)  # a staging folder with no manifest...
    assert DownloadArea(root).status(DOI).state == "staging"
    (root / QUARANTINE / dataset_dirname(DOI)).mkdir(parents=True)  # ...and a copy set aside
    assert DownloadArea(root).status(DOI).state == "quarantined"
    page = client.get(f"/doi/{DOI}").get_data(as_text=True)
    assert "The files are withheld." in page and "integrity check" in page and "being prepared" not in page
    download = client.get(f"/download/{DOI}/a.dat")
    assert download.status_code == 404 and "failed their integrity check" in download.get_data(as_text=True)


def test_the_contact_for_data_on_request_is_the_facility_s(app_config: dict[str, Any]) -> None:
    app = create_app({**app_config, "DMZPUB_CONTACT_EMAIL": "data@facility.example.org"})
    try:
        Pusher(app.test_client()).put(v4_document(DOI))
        page = app.test_client().get(f"/doi/{DOI}").get_data(as_text=True)
    finally:
        app.extensions["dmzpub.store"].close()
    assert "quoting the DOI, to obtain them" in page
    assert 'write to <a href="mailto:data@facility.example.org">' in page


def test_a_template_folder_overrides_built_in_templates(app_config: dict[str, Any], tmp_path: Path) -> None:
    folder = tmp_path / "templates" / "landing"
    folder.mkdir(parents=True)
    (folder / "error.html").write_text(
        '{% extends "landing/base.html" %}{% block main %}<h1>Lost at Lumen ({{ status }})</h1>{% endblock %}',
        encoding="utf-8",
    )
    app = create_app({**app_config, "DMZPUB_TEMPLATE_DIR": str(tmp_path / "templates")})
    try:
        page = app.test_client().get("/no/such/page").get_data(as_text=True)
    finally:
        app.extensions["dmzpub.store"].close()
    assert "<h1>Lost at Lumen (404)</h1>" in page and "site-footer" in page  # the rest is still built in


def test_brand_colours_are_served_as_a_stylesheet(app_config: dict[str, Any]) -> None:
    app = create_app({**app_config, "DMZPUB_BRAND_COLOUR": "#123456"})
    try:
        client = app.test_client()
        page = client.get("/").get_data(as_text=True)
        css_url = page.split('<link rel="stylesheet" href="')[2].split('"')[0]
        css = client.get(css_url)
    finally:
        app.extensions["dmzpub.store"].close()
    assert css.mimetype == "text/css" and "--brand: #123456;" in css.get_data(as_text=True)


@pytest.mark.parametrize(
    ("name", "value", "fix"),
    [
        ("DMZPUB_BRAND_COLOUR", "#ffff00", "darker"),
        ("DMZPUB_ACCENT_COLOUR", "blue", "#0d2c4f"),
        ("DMZPUB_BRAND_LOGO", "/nonexistent/logo.svg", "logo file"),
        ("DMZPUB_TEMPLATE_DIR", "/nonexistent", "template overrides"),
        ("DMZPUB_CONTACT_EMAIL", "nobody", "oai-admin@example.org"),
        ("DMZPUB_IMPRINT_URL", "imprint.html", "https://"),
    ],
)
def test_bad_branding_settings_name_the_variable_and_the_fix(name: str, value: str, fix: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({name: value})
    assert info.value.name == name and fix in str(info.value)
