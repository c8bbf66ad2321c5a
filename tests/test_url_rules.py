"""One URL rule: every URL the outputs announce for awkward DOIs and file names answers 200."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from conftest import Pusher, v4_document
from download_helpers import make_dataset
from flask.testing import FlaskClient
from lxml import etree, html

from catalogue_core.doi import doi_key
from catalogue_core.urls import RESOLVER, landing_path, listing_path
from download_cache.open_target import open_target
from download_cache.sources import Source
from download_cache.stage import Stager

BASE = "https://doi.example.org"
# A '#' would start a fragment, a '?' a query, a '%' an escape; non-ASCII must be UTF-8 %-encoded.
DOIS = ["10.1234/Hash#Frag", "10.1234/what?q=1&r=2", "10.1234/pct%41x", "10.1234/Ünï-çødé", "10.1234/a;b=c"]
FILES = {"run 42.tar.gz": b"tgz", "dir/ü b.h5": b"hdf5", "#odd?.csv.bz2": b"bz"}


@pytest.fixture
def awkward(client: FlaskClient, pusher: Pusher, app_config: dict[str, Any], tmp_path: Path) -> FlaskClient:
    area = open_target(app_config["DMZPUB_DOWNLOAD_DIR"])
    make_dataset(tmp_path / "src", FILES)
    for doi in DOIS:
        response = pusher.put(v4_document(doi, f"Record {doi}"))
        assert response.status_code == 201, response.get_json()
        Stager(area).stage(doi_key(doi), Source(str(tmp_path / "src")))
    return client


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _xml_urls(data: bytes) -> Iterator[str]:
    tree = etree.fromstring(data)
    for node in tree.iter():
        yield from (v for v in [node.text or "", *node.attrib.values()] if v.startswith(("http", "/")))


def _html_urls(data: bytes) -> Iterator[str]:
    page = html.fromstring(data)
    yield from page.xpath("//a/@href | //link/@href | //img/@src | //meta/@content")
    for block in page.xpath("//script[@type='application/ld+json']/text()"):
        yield from _strings(json.loads(block))


def _link_header(value: str) -> Iterator[str]:
    yield from re.findall(r"<([^>]*)>", value)


def announced(client: FlaskClient, doi: str) -> Iterator[tuple[str, str]]:
    """Yield (where, url) for every URL the outputs about one DOI announce."""
    page = client.get(landing_path(doi_key(doi)))
    assert page.status_code == 200
    yield from (("page", u) for u in _html_urls(page.data))
    yield from (("Link header", u) for u in _link_header(page.headers["Link"]))
    for export in ("schemaorg.json", "linkset", "datacite.json"):
        body = client.get(f"{landing_path(doi_key(doi))}/{export}").get_json()
        yield from ((export, u) for u in _strings(body) if u.startswith(("http", "/")))
    yield from (("datacite.xml", u) for u in _xml_urls(client.get(f"{landing_path(doi_key(doi))}/datacite.xml").data))
    listing = client.get(listing_path(doi_key(doi)), query_string={"format": "json"})
    assert listing.status_code == 200
    yield from (("listing", u) for u in _strings(listing.get_json()) if u.startswith("http"))
    yield from (("listing html", u) for u in _html_urls(client.get(listing_path(doi_key(doi))).data))


def harvested(client: FlaskClient) -> Iterator[tuple[str, str]]:
    """Yield the URLs of every OAI format and the sitemap."""
    for prefix in ("oai_dc", "oai_datacite", "datacite"):
        body = client.get("/oai", query_string={"verb": "ListRecords", "metadataPrefix": prefix}).data
        yield from ((prefix, u) for u in _xml_urls(body) if not u.startswith("http://www.openarchives.org"))
    yield from (("sitemap", u) for u in _xml_urls(client.get("/sitemap.xml").data))


def follow(client: FlaskClient, where: str, url: str) -> None:
    """Ours must answer 200 as announced; a DOI resolver link must decode to a DOI we publish."""
    if url.startswith(RESOLVER):
        assert doi_key(unquote(url[len(RESOLVER) :])) in {doi_key(d) for d in DOIS}, (where, url)
        return
    if url.startswith(BASE):
        url = url[len(BASE) :]
    if not url.startswith("/") or url.startswith("/oai?"):
        return  # elsewhere (ORCID, licences, schema.org), or the OAI request echo
    parts = urlsplit(url)
    assert not parts.fragment, (where, url)
    response = client.get(parts.path, query_string=parts.query or None, headers={"Accept": "*/*"})
    assert response.status_code == 200, (where, url, response.status_code)
    response.close()


@pytest.mark.parametrize("store_kind", ["sqlite"])
@pytest.mark.parametrize("doi", DOIS)
def test_every_url_announced_about_an_awkward_doi_answers_200(awkward: FlaskClient, doi: str) -> None:
    urls = list(announced(awkward, doi))
    ours = [u for _, u in urls if u.startswith((BASE, "/"))]
    assert len([u for u in ours if "/download/" in u]) >= 2 * len(FILES)  # page and listing name each file
    for where, url in urls:
        follow(awkward, where, url)


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_every_url_harvested_from_oai_and_the_sitemap_answers_200(awkward: FlaskClient) -> None:
    urls = list(harvested(awkward))
    landing = {unquote(urlsplit(u).path) for w, u in urls if w in ("oai_dc", "sitemap") and "/doi/" in u}
    assert landing == {f"/doi/{doi_key(doi)}" for doi in DOIS}
    for where, url in urls:
        follow(awkward, where, url)
