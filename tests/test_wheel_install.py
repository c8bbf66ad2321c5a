"""The wheel as an operator installs it (`make wheel`: a venv of its own, not the checkout) serves every page."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import NS
from download_helpers import free_port, stop, wait_port
from lxml import etree

from catalogue_core.urls import checksums_path, file_path, listing_path, zip_path
from oai_server.demo import DEMO_STAGED_KEY

ROOT = Path(__file__).resolve().parents[1]
WHEEL_VENV = ROOT / ".venv-wheel"
TOKEN = "wheel-smoke-token"
RECORD = "10.99999/dmzpub-demo-0001"
WITHDRAWN = "10.99999/dmzpub-demo-0003"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
EXPORTS = {
    "datacite.xml": "application/vnd.datacite.datacite+xml",
    "datacite.json": "application/vnd.datacite.datacite+json",
    "schemaorg.json": "application/ld+json",
    "csl.json": "application/vnd.citationstyles.csl+json",
    "citation.bib": "application/x-bibtex",
    "citation.ris": "application/x-research-info-systems",
    "citation.txt": "text/x-bibliography",
    "linkset": "application/linkset+json",
}


def wheel_env(tmp: Path, **extra: str) -> dict[str, str]:
    """Return an environment that cannot reach the checkout: no PYTHONPATH, no DMZPUB_* of the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DMZPUB_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(tmp), DMZPUB_DATA_DIR=str(tmp / "var"), DMZPUB_DOWNLOAD_DIR=str(tmp / "downloads"), **extra)
    return env


def installed(tool: str) -> str:
    """Return a program of the wheel's venv; fail with the fix when `make wheel` has not made it."""
    path = WHEEL_VENV / "bin" / tool
    if not path.exists():
        raise RuntimeError(f"{path} is missing: run `make wheel` (make test does it)")
    return str(path)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Run the installed `dmzpub serve --demo` from a folder outside the checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    port = free_port()
    env = wheel_env(tmp, DMZPUB_BIND=f"127.0.0.1:{port}", DMZPUB_PUSH_TOKENS=TOKEN, DMZPUB_WORKERS="1")
    log = open(tmp / "serve.log", "wb")  # noqa: SIM115  (closed below)
    process = subprocess.Popen([installed("dmzpub"), "serve", "--demo"], cwd=tmp, env=env, stdout=log, stderr=log)
    try:
        try:
            wait_port(port, process, "dmzpub serve (wheel)", timeout=60)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{(tmp / 'serve.log').read_text()}") from None
        base = f"http://127.0.0.1:{port}"
        withdrawn = requests.delete(
            f"{base}/api/v1/published/{WITHDRAWN}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
        )
        assert withdrawn.status_code == 200, withdrawn.text
        yield {"base": base, "tmp": tmp, "log": tmp / "serve.log"}
    finally:
        stop(process)
        log.close()


def get(server: dict[str, Any], path: str, **kwargs: Any) -> requests.Response:
    return requests.get(server["base"] + path, timeout=30, allow_redirects=False, **kwargs)


def test_the_installed_package_is_the_wheel_not_the_checkout(tmp_path: Path) -> None:
    code = "import oai_server; print(oai_server.__file__); print(oai_server.templates_folder())"
    found = subprocess.run(
        [installed("python"), "-c", code], cwd=tmp_path, env=wheel_env(tmp_path), capture_output=True, text=True
    )
    module, templates = found.stdout.split()
    assert Path(module).is_relative_to(WHEEL_VENV.resolve() / "lib")
    assert Path(templates).is_relative_to(WHEEL_VENV.resolve() / "lib")
    assert (Path(templates) / "landing" / "record.html").is_file()


def test_version_names_the_release_and_the_changelog_has_it(tmp_path: Path) -> None:
    shown = subprocess.run([installed("dmzpub"), "--version"], env=wheel_env(tmp_path), capture_output=True, text=True)
    assert shown.returncode == 0
    assert shown.stdout.strip() == f"dmzpub {VERSION}"
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[?{re.escape(VERSION)}\]?", changelog, re.MULTILINE), "CHANGELOG.md lacks this release"


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/", 200, "limestone core"),
        ("/?q=micelles", 200, "micelles"),
        (f"/doi/{RECORD}", 200, "limestone core"),
        (f"/doi/{WITHDRAWN}", 410, "withdrawn"),
        ("/doi/10.99999/no-such-record", 404, "<html"),
        (f"/doi/{DEMO_STAGED_KEY}", 200, "README.txt"),
    ],
)
def test_html_pages_render_from_the_packaged_templates(
    server: dict[str, Any], path: str, status: int, text: str
) -> None:
    response = get(server, path)
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"].startswith("text/html")
    assert text in response.text


def test_page_assets_are_packaged(server: dict[str, Any]) -> None:
    for name, kind in (("landing.css", "text/css"), ("icon.svg", "image/svg+xml"), ("orcid.svg", "image/svg+xml")):
        response = get(server, f"/assets/{name}")
        assert response.status_code == 200, name
        assert response.headers["Content-Type"].startswith(kind)


@pytest.mark.parametrize(("export", "media_type"), list(EXPORTS.items()))
def test_every_export_is_served(server: dict[str, Any], export: str, media_type: str) -> None:
    response = get(server, f"/doi/{RECORD}/{export}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(media_type)
    assert "dmzpub-demo-0001" in response.text.lower()


@pytest.mark.parametrize(
    "query",
    [
        "verb=Identify",
        "verb=ListMetadataFormats",
        "verb=ListSets",
        "verb=ListIdentifiers&metadataPrefix=oai_dc",
        "verb=ListRecords&metadataPrefix=oai_dc",
        "verb=ListRecords&metadataPrefix=oai_datacite",
        f"verb=GetRecord&metadataPrefix=oai_datacite&identifier=oai:dmzpub.localhost:{RECORD}",
        "verb=NoSuchVerb",
    ],
)
def test_every_oai_verb_answers_schema_valid_xml(server: dict[str, Any], query: str, xsd: etree.XMLSchema) -> None:
    response = get(server, f"/oai?{query}")
    assert response.status_code == 200
    document = etree.fromstring(response.content)
    xsd.assertValid(document)
    errors = document.findall("oai:error", NS)
    assert [e.get("code") for e in errors] == (["badVerb"] if "NoSuchVerb" in query else [])


def test_every_kind_of_download_is_served(server: dict[str, Any]) -> None:
    readme = get(server, file_path(DEMO_STAGED_KEY, "README.txt"))
    assert readme.status_code == 200
    assert readme.text.startswith("Demonstration dataset of dmzpub")
    listing = get(server, listing_path(DEMO_STAGED_KEY))
    assert listing.status_code == 200
    assert "reduced/micelles_25C.dat" in listing.text
    sums = get(server, checksums_path(DEMO_STAGED_KEY))
    assert sums.status_code == 200
    assert " *README.txt" in sums.text
    archive = get(server, zip_path(DEMO_STAGED_KEY))
    assert archive.status_code == 200
    assert archive.content.startswith(b"PK")
    assert get(server, file_path(WITHDRAWN, "anything.dat")).status_code == 410


def test_api_health_and_metrics_answer(server: dict[str, Any]) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert get(server, f"/api/v1/published/{RECORD}", headers=auth).json()["doi"] == RECORD
    assert get(server, "/api/v1/openapi.json").json()["openapi"].startswith("3.")
    assert get(server, "/healthz").status_code == 200
    assert f'dmzpub_info{{version="{VERSION}"' in get(server, "/metrics").text
    for path in ("/sitemap.xml", "/sitemap-records.xml", "/robots.txt"):
        assert get(server, path).status_code == 200, path


def test_no_request_failed_inside_the_installed_app(server: dict[str, Any]) -> None:
    test_html_pages_render_from_the_packaged_templates(server, "/", 200, "limestone")
    log = server["log"].read_text()
    assert "Traceback" not in log
    assert "TemplateNotFound" not in log
