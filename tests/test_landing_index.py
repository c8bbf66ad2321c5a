"""The index (newest first, keyset pages, search), /sitemap.xml and /robots.txt."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import Pusher, v4_document
from flask.testing import FlaskClient
from lxml import etree, html

from catalogue_core.store import base
from landing import listing, sitemap

SITEMAP = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture
def records(pusher: Pusher, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Push 25 records a minute apart (the last is newest); withdraw one. Return their DOIs."""
    now = [1_700_000_000.0]
    monkeypatch.setattr(base, "utcnow", lambda: now[0])
    dois = []
    for i in range(25):
        subject = "neutron" if i % 5 == 0 else "x-ray"
        doc = v4_document(
            f"10.1234/Rec-{i:03d}",
            f"Record {i:03d} about {subject} imaging",
            creators=[{"name": f"Author{i}, Ann"}],
            subjects=[{"subject": f"kw{i}"}],
        )
        assert pusher.put(doc).status_code == 201
        dois.append(doc["doi"])
        now[0] += 60
    assert pusher.withdraw("10.1234/rec-003").status_code == 200
    return dois


def listed(client: FlaskClient, url: str) -> tuple[list[str], str | None]:
    """Return the DOIs an index page lists and its 'Older' link."""
    doc = html.fromstring(client.get(url).data)
    dois = [m.split("DOI ")[-1] for m in doc.xpath("//ol[@class='results']//p[@class='meta']/text()")]
    older = doc.xpath("//a[@rel='next']/@href")
    return dois, older[0] if older else None


def test_index_lists_newest_first_in_keyset_pages(client: FlaskClient, records: list[str]) -> None:
    first, older = listed(client, "/")
    assert first == [f"10.1234/Rec-{i:03d}" for i in range(24, 4, -1)]
    assert older is not None and parse_qs(urlsplit(older).query)["before"] == ["2023-11-14T22:18:20Z,10.1234/rec-005"]
    second, last = listed(client, older)
    assert second == ["10.1234/Rec-004", "10.1234/Rec-002", "10.1234/Rec-001", "10.1234/Rec-000"]
    assert last is None
    doc = html.fromstring(client.get(older).data)
    assert doc.xpath("//nav[@class='pager']/a/@href") == ["/"]  # back to the newest


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("neutron", ["10.1234/Rec-020", "10.1234/Rec-015", "10.1234/Rec-010", "10.1234/Rec-005", "10.1234/Rec-000"]),
        ("record 01", [f"10.1234/Rec-{i:03d}" for i in range(19, 9, -1)]),
        ("author7", ["10.1234/Rec-007"]),
        ("10.1234/rec-012", ["10.1234/Rec-012"]),
        ("kw21", ["10.1234/Rec-021"]),
        ("rec-003", []),  # withdrawn
        ("nothing-like-this", []),
    ],
)
def test_search_by_title_creator_doi_and_keyword(
    client: FlaskClient, records: list[str], query: str, expected: list[str]
) -> None:
    assert listed(client, f"/?q={query}")[0] == expected


def test_search_pages_keep_the_query(client: FlaskClient, records: list[str]) -> None:
    first, older = listed(client, "/?q=imaging")
    assert len(first) == 20 and older is not None and parse_qs(urlsplit(older).query)["q"] == ["imaging"]
    second, _ = listed(client, older)
    assert len(second) == 4 and not set(first) & set(second)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/?q=" + "a" * 201, "longer than 200 characters"),
        ("/?before=yesterday", "is not a page position"),
        ("/?before=2023-11-14T22:18:20Z,", "is not a page position"),
    ],
)
def test_bad_index_parameters_are_a_400_page(client: FlaskClient, url: str, message: str) -> None:
    response = client.get(url)
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert message in html.fromstring(response.data).xpath("string(//p[@role='alert'])")


def test_empty_index(client: FlaskClient) -> None:
    doc = html.fromstring(client.get("/").data)
    assert "No datasets are published yet." in doc.text_content()


def locs(body: bytes, element: str = "url") -> list[str]:
    return etree.fromstring(body).xpath(f"//s:{element}/s:loc/text()", namespaces=SITEMAP)


def test_sitemap_lists_live_records_with_lastmod(client: FlaskClient, records: list[str]) -> None:
    response = client.get("/sitemap.xml")
    assert response.mimetype == "application/xml"
    urls = locs(response.data)
    assert urls[0] == "https://doi.example.org/"
    expected = sorted(f"https://doi.example.org/doi/{d.lower()}" for d in records if d != "10.1234/Rec-003")
    assert urls[1:] == expected
    root = etree.fromstring(response.data)
    assert root.xpath("//s:url[2]/s:lastmod/text()", namespaces=SITEMAP) == ["2023-11-14T22:13:20Z"]


def test_large_sitemaps_become_an_index_of_parts(
    client: FlaskClient, records: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sitemap, "MAX_URLS", 7)
    monkeypatch.setattr(sitemap, "BATCH", 3)
    index = client.get("/sitemap.xml")
    parts = locs(index.data, "sitemap")
    assert etree.fromstring(index.data).tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    assert len(parts) == 4  # 6 + 7 + 7 + 5 keys (the first part also lists the home page)
    seen: list[str] = []
    for part in parts:
        urls = locs(client.get(part.removeprefix("https://doi.example.org")).data)
        assert len(urls) <= 7
        seen.extend(urls)
    expected = [f"https://doi.example.org/doi/{d.lower()}" for d in records if d != "10.1234/Rec-003"]
    assert seen == ["https://doi.example.org/", *sorted(expected)]


def test_robots_txt_points_at_the_sitemap(client: FlaskClient) -> None:
    lines = client.get("/robots.txt").text.splitlines()
    assert "Sitemap: https://doi.example.org/sitemap.xml" in lines
    assert "Disallow: /api/" in lines and "Disallow: /download/" in lines and "Allow: /" in lines


def test_index_entry_shows_title_creators_and_snippet(pusher: Pusher, client: FlaskClient) -> None:
    doc: dict[str, Any] = v4_document("10.1234/entry", "An entry", creators=[{"name": f"C{i}"} for i in range(5)])
    doc["abstract"] = "word " * 100
    pusher.put(doc)
    page = html.fromstring(client.get("/").data)
    assert page.xpath("//ol[@class='results']//h2/a/@href") == ["/doi/10.1234/entry"]
    assert page.xpath("string(//p[@class='by'])") == "C0; C1; C2; et al."
    snippet = page.xpath("string(//p[@class='snippet'])")
    assert len(snippet) <= listing.SNIPPET + 2 and snippet.endswith("…")
