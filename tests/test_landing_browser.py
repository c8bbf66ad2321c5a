"""Landing pages in a real browser: headless Debian Chromium driven by Playwright.

The app runs on a loopback port in this process; Chromium loads its pages with the real
Content-Security-Policy in force. Screenshots go to test-output/ for people to look at.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import TOKEN, Pusher, scicat_example
from landing_data import HOSTILE_TITLE, RICH_DOI, RICH_KEY, hostile_document, rich_document, stage
from werkzeug.serving import make_server

from oai_server import create_app
from oai_server.store import of as store_of

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUTPUT = Path(__file__).resolve().parents[1] / "test-output"
V3_DOI = "10.16907/05a50450-767f-421d-9832-342b57c201af"
WITHDRAWN_DOI = "10.17199/ESS-2025-00043"
BAD_PAGE = """<!doctype html><html lang="en"><head><title>bad</title>
<style>body { color: red }</style></head><body><h1>bad</h1>
<script>document.title = "ran"</script><img src="http://cdn.invalid/logo.png" alt=""></body></html>"""


A11Y_BAD_PAGE = """<!doctype html><html><head><title>bad</title></head><body>
<img src="/assets/none.png"><input type="text"></body></html>"""


def _crash() -> str:
    raise RuntimeError("an unexpected bug")


def _store_down() -> str:
    from catalogue_core.errors import StoreUnavailable

    raise StoreUnavailable("the test says the store is down")


class LiveServer:
    """The app on 127.0.0.1 with a few records pushed and one dataset staged."""

    def __init__(self, tmp: Path, **settings: str) -> None:
        self._app: Any = None
        self.server = make_server("127.0.0.1", 0, lambda env, start: self._app(env, start), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.download_dir = tmp / "downloads"
        self.app = create_app(
            {
                "TESTING": True,
                "DMZPUB_DATA_DIR": str(tmp / "var"),
                "DMZPUB_DOWNLOAD_DIR": str(self.download_dir),
                "DMZPUB_PUSH_TOKENS": TOKEN,
                "DMZPUB_BASE_URL": self.url,
                "DMZPUB_SITE_NAME": "ESS Data Repository",
                **settings,
            }
        )
        # A page that breaks the rules, to show the checks below would notice.
        self.app.add_url_rule("/test-only/bad-page", "bad_page", lambda: BAD_PAGE)
        self.app.add_url_rule("/test-only/a11y-bad", "a11y_bad", lambda: A11Y_BAD_PAGE)
        self.app.add_url_rule("/test-only/crash", "crash", _crash)
        self.app.add_url_rule("/test-only/store-down", "store_down", _store_down)
        self._app = self.app.wsgi_app
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        pusher = Pusher(self.app.test_client())
        for doc in (rich_document(), scicat_example("v3-registered-full.json"), hostile_document()):
            assert pusher.put(doc).status_code == 201
        assert pusher.put(scicat_example("v4-public-minimal.json")).status_code == 201
        assert pusher.withdraw(WITHDRAWN_DOI, "Superseded by a corrected dataset.").status_code == 200
        stage(self.download_dir, RICH_KEY)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        store_of(self.app).close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("live")) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make deps-apt` (installs Debian's chromium)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Visit:
    """One page load with everything the browser complained about."""

    def __init__(self, browser: Any, url: str, width: int = 1280) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=True)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", lambda m: self._console(m, url))
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url}"))
        self.page.on(
            "response", lambda r: r.status >= 400 and r.url != url and self.problems.append(f"{r.status} {r.url}")
        )
        self.response = self.page.goto(url, wait_until="load")

    def _console(self, message: Any, url: str) -> None:
        # The page's own 404/410 status is logged as a failed load; it is what we asked for.
        own_status = message.text.startswith("Failed to load resource") and message.location.get("url") == url
        if message.type in ("error", "warning") and not own_status:
            self.problems.append(f"console {message.type}: {message.text}")

    def close(self) -> None:
        self.context.close()

    def jsonld(self) -> dict[str, Any]:
        return json.loads(self.page.eval_on_selector('script[type="application/ld+json"]', "e => e.textContent"))


@pytest.fixture
def visit(browser: Any) -> Iterator[Any]:
    visits: list[Visit] = []

    def open_page(url: str, width: int = 1280) -> Visit:
        visits.append(Visit(browser, url, width))
        return visits[-1]

    yield open_page
    for v in visits:
        v.close()


PAGES = [
    ("/doi/" + RICH_KEY, 200),
    ("/doi/" + V3_DOI, 200),
    ("/doi/10.1234/hostile-1", 200),
    ("/doi/" + WITHDRAWN_DOI.lower(), 410),
    ("/doi/10.9999/never-published", 404),
    ("/", 200),
    ("/?q=neutron", 200),
    ("/?q=" + "x" * 300, 400),
    ("/no/such/page", 404),
    ("/download/10.9999/never-published/file.dat", 404),
    ("/download/" + WITHDRAWN_DOI.lower() + "/file.dat", 410),
    ("/download/" + RICH_KEY + "/no-such-file.dat", 404),
    ("/test-only/crash", 500),
    ("/test-only/store-down", 503),
]


@pytest.mark.parametrize(("path", "status"), PAGES)
def test_pages_render_without_console_errors_or_csp_blocks(
    live: LiveServer, visit: Any, path: str, status: int
) -> None:
    v = visit(live.url + path)
    assert v.response.status == status
    assert v.problems == []
    assert "default-src 'none'" in v.response.headers["content-security-policy"]
    landmarks = v.page.evaluate(
        "() => [document.querySelectorAll('h1').length, !!document.querySelector('main'),"
        " !!document.querySelector('body > header'), !!document.querySelector('body > footer'),"
        " getComputedStyle(document.body).fontFamily]"
    )
    assert landmarks[:4] == [1, True, True, True]
    assert "sans-serif" in landmarks[4]  # the stylesheet loaded (the browser default is serif)


def test_the_checks_catch_csp_blocks(live: LiveServer, visit: Any) -> None:
    v = visit(live.url + "/test-only/bad-page")
    assert v.page.title() == "bad"  # the inline script was blocked
    blocked = " ".join(v.problems)
    assert "script" in blocked and "style" in blocked and "cdn.invalid" in blocked


def test_jsonld_parses_and_matches_the_record(live: LiveServer, visit: Any) -> None:
    v = visit(live.url + "/doi/" + RICH_KEY)
    data = v.jsonld()
    doc = rich_document()
    assert data["@type"] == "Dataset" and data["name"] == doc["title"]
    assert data["url"] == f"{live.url}/doi/{RICH_KEY}" and data["@id"] == f"https://doi.org/{RICH_DOI}"
    assert [c["name"] for c in data["creator"]] == [c["name"] for c in doc["metadata"]["creators"]]
    assert data["creator"][1]["@id"] == "https://orcid.org/0000-0001-5109-3700"
    assert data["creator"][1]["affiliation"][0] == {
        "@type": "Organization",
        "name": "Lund University",
        "@id": "https://ror.org/012a77v79",
        "identifier": "https://ror.org/012a77v79",
    }
    zip_download = data["distribution"][0]
    assert zip_download["contentUrl"] == f"{live.url}/download/{RICH_KEY}.zip"
    assert {d["name"] for d in data["distribution"][1:]} == {
        "README.md",
        "raw/loki_run_000123.nxs",
        "raw/loki_run_000124.nxs",
        "reduced/lysozyme 50 mg-ml.dat",
        "reduced/lysozyme_100mg-ml.dat",
    }
    assert data["license"] == "https://creativecommons.org/licenses/by/4.0/legalcode"
    shown = v.page.inner_text("h1")
    assert shown == doc["title"]


def test_a_hostile_title_is_text_not_markup(live: LiveServer, visit: Any) -> None:
    v = visit(live.url + "/doi/10.1234/hostile-1")
    assert v.page.evaluate("() => window.__pwned") is None
    assert v.page.inner_text("h1") == HOSTILE_TITLE
    assert v.page.evaluate("() => document.querySelectorAll('script').length") == 1  # the JSON-LD block only
    assert v.page.evaluate("() => document.querySelectorAll('img[src=x], main b, a[href^=javascript]').length") == 0
    assert v.jsonld()["name"] == HOSTILE_TITLE
    assert v.problems == []


@pytest.mark.parametrize(("name", "width"), [("desktop", 1280), ("phone", 360)])
def test_screenshots_of_a_rich_record(live: LiveServer, visit: Any, name: str, width: int) -> None:
    v = visit(live.url + "/doi/" + RICH_KEY, width)
    OUTPUT.mkdir(exist_ok=True)
    v.page.screenshot(path=str(OUTPUT / f"landing-{name}.png"), full_page=True)
    # Readable at the width: nothing forces sideways scrolling.
    assert v.page.evaluate("() => document.documentElement.scrollWidth") <= width
    assert v.problems == []


@pytest.mark.parametrize(("name", "path"), [("index", "/"), ("tombstone", "/doi/" + WITHDRAWN_DOI.lower())])
def test_screenshots_of_other_pages(live: LiveServer, visit: Any, name: str, path: str) -> None:
    v = visit(live.url + path, 1280)
    OUTPUT.mkdir(exist_ok=True)
    v.page.screenshot(path=str(OUTPUT / f"landing-{name}.png"), full_page=True)
    assert v.problems == []


# WCAG 2.1 A and AA rules of axe-core (the engine ships inside axe-playwright-python: no download).
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def axe_violations(v: Visit) -> list[str]:
    """Return the axe-core WCAG violations of the page as 'rule: first target' lines."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(v.page, options=AXE_OPTIONS).response
    return [f"{r['id']}: {r['nodes'][0]['target']}" for r in results["violations"]]


@pytest.mark.parametrize(
    ("path", "width"),
    [("/doi/" + RICH_KEY, 1280), ("/doi/" + RICH_KEY, 360), ("/", 1280), ("/?q=neutron", 360),
     ("/doi/" + WITHDRAWN_DOI.lower(), 1280), ("/doi/10.9999/never-published", 1280),
     ("/no/such/page", 1280), ("/download/" + RICH_KEY + "/no-such-file.dat", 360),
     ("/download/" + WITHDRAWN_DOI.lower() + "/file.dat", 1280), ("/test-only/crash", 1280),
     ("/test-only/store-down", 360)],
)  # fmt: skip
def test_pages_pass_an_axe_wcag_aa_audit(live: LiveServer, visit: Any, path: str, width: int) -> None:
    assert axe_violations(visit(live.url + path, width)) == []


def test_the_audit_catches_violations(live: LiveServer, visit: Any) -> None:
    found = {line.split(":")[0] for line in axe_violations(visit(live.url + "/test-only/a11y-bad"))}
    assert {"image-alt", "label", "html-has-lang"} <= found
