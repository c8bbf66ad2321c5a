"""A facility's branding in a real browser: its name, logo, colours, contact and legal links, CSP intact."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import test_landing_browser as base
from landing_data import RICH_KEY
from test_landing_browser import OUTPUT, V3_DOI, LiveServer, axe_violations

browser, visit = base.browser, base.visit  # the same browser fixtures

LOGO = """<svg xmlns="http://www.w3.org/2000/svg" width="120" height="36" viewBox="0 0 120 36">
<rect width="36" height="36" rx="6" fill="#f2b33d"/><text x="44" y="25" font-size="18" fill="#fff">LUMEN</text></svg>"""
BRAND = {
    "DMZPUB_SITE_NAME": "Lumen Light Source data",
    "DMZPUB_BRAND_COLOUR": "#5b1a4a",
    "DMZPUB_ACCENT_COLOUR": "#8a2166",
    "DMZPUB_CONTACT_EMAIL": "data-help@lumen.example.org",
    "DMZPUB_IMPRINT_URL": "https://www.lumen.example.org/imprint",
    "DMZPUB_PRIVACY_URL": "https://www.lumen.example.org/privacy",
}


@pytest.fixture(scope="module")
def branded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("brand")
    (folder / "logo.svg").write_text(LOGO, encoding="utf-8")
    settings = {**BRAND, "DMZPUB_BRAND_LOGO": str(folder / "logo.svg")}
    with LiveServer(folder, **settings) as server:
        yield server


def look(v: Any) -> list[Any]:
    return v.page.evaluate(
        "() => [getComputedStyle(document.querySelector('.site-header')).backgroundColor,"
        " document.querySelector('.brand img').naturalWidth, document.querySelector('.brand').innerText,"
        " [...document.querySelectorAll('footer a')].map(a => a.getAttribute('href'))]"
    )


def test_a_branded_record_page_shows_the_facility_and_keeps_the_csp(branded: LiveServer, visit: Any) -> None:
    v = visit(branded.url + "/doi/" + RICH_KEY)
    OUTPUT.mkdir(exist_ok=True)
    v.page.screenshot(path=str(OUTPUT / "branded-record.png"), full_page=True)
    header, logo_width, name, links = look(v)
    assert header == "rgb(91, 26, 74)"  # #5b1a4a
    assert logo_width == 120 and name.strip() == "Lumen Light Source data"
    assert {"mailto:data-help@lumen.example.org", BRAND["DMZPUB_IMPRINT_URL"], BRAND["DMZPUB_PRIVACY_URL"]} <= set(
        links
    )
    assert v.response.headers["content-security-policy"].startswith("default-src 'none'; style-src 'self';")
    assert v.problems == []


def test_data_available_on_request_names_the_facility_contact(branded: LiveServer, visit: Any) -> None:
    v = visit(branded.url + "/doi/" + V3_DOI)
    text = v.page.inner_text("#files")
    assert "Available on request" in text and "data-help@lumen.example.org" in text
    assert v.problems == []


@pytest.mark.parametrize("path", ["/doi/" + RICH_KEY, "/no/such/page", "/download/" + RICH_KEY + "/nope.dat"])
def test_branded_pages_and_error_pages_pass_the_axe_audit(branded: LiveServer, visit: Any, path: str) -> None:
    v = visit(branded.url + path, 360)
    if "nope" in path:
        v.page.screenshot(path=str(OUTPUT / "branded-download-error.png"), full_page=True)
    assert axe_violations(v) == []
    assert v.problems == []
