"""The record page: what it shows, its URL forms, download states, tombstones and headers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Pusher, scicat_example, v4_document
from flask import Flask
from flask.testing import FlaskClient
from landing_data import HOSTILE_TITLE, RICH_DOI, RICH_KEY, STAGED_FILES, hostile_document, mark, rich_document, stage
from lxml import html

from catalogue_core.errors import StoreUnavailable
from catalogue_core.urls import file_path
from landing import security
from oai_server.store import of as store_of

PAGE = "/doi/" + RICH_KEY


def page_of(response: Any) -> Any:
    """Return the parsed HTML of a response."""
    return html.fromstring(response.data)


def texts(doc: Any, xpath: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in doc.xpath(xpath)]


@pytest.fixture
def rich(pusher: Pusher) -> Pusher:
    assert pusher.put(rich_document()).status_code == 201
    return pusher


def download_dir(app: Flask) -> Path:
    return Path(app.config["DMZPUB_DOWNLOAD_DIR"])


def test_page_shows_the_whole_record(client: FlaskClient, rich: Pusher) -> None:
    response = client.get(PAGE)
    assert response.status_code == 200 and response.mimetype == "text/html"
    doc = page_of(response)
    assert texts(doc, "//h1") == ["Small-angle neutron scattering of protein crowding, LoKI commissioning"]
    creators = texts(doc, "//ul[@class='creators']/li")
    assert creators == ["Nilsson, Karin1;", "Øster-Berg, Jonas1,2;", "ESS Data Management"] or creators == [
        "Nilsson, Karin1",
        "Øster-Berg, Jonas1,2",
        "ESS Data Management",
    ]
    assert doc.xpath("//ul[@class='creators']//a[@class='orcid']/@href") == [
        "https://orcid.org/0000-0002-1825-0097",
        "https://orcid.org/0000-0001-5109-3700",
    ]
    assert doc.xpath("//ul[@class='affiliations']//a/@href") == [
        "https://ror.org/01wv9cn34",
        "https://ror.org/012a77v79",
    ]
    assert doc.xpath("//a[@class='doi']/@href") == [f"https://doi.org/{RICH_DOI}"]
    facts = dict(zip(texts(doc, "//dl[@class='facts']/dt"), texts(doc, "//dl[@class='facts']/dd"), strict=True))
    assert facts["Publisher"] == "European Spallation Source ERIC"
    assert facts["Publication year"] == "2025"
    assert facts["Resource type"] == "Dataset (raw)"
    assert facts["Version"] == "1.1"
    assert facts["Files"] == "12" and facts["Size"] == "734.0 MB"
    assert facts["Collected"] == "2025-03-10 – 2025-03-14" and facts["Issued"] == "2025-06-02"
    assert facts["Licence"] == "Creative Commons Attribution 4.0 International"
    assert doc.xpath("//dl[@class='facts']/dd/code/text()") == [
        "20.500.12269/0a1b2c3d-0000-4000-8000-000000000042",
        "20.500.12269/0a1b2c3d-0000-4000-8000-000000000043",
    ]
    assert doc.xpath("//a[@rel='license']/@href") == ["https://creativecommons.org/licenses/by/4.0/legalcode"]
    sections = dict(zip(texts(doc, "//article/section/h2"), doc.xpath("//article/section"), strict=True))
    assert "structure-factor peak" in sections["Abstract"].text_content()
    assert "Reduced I(q) curves" in sections["Data description"].text_content()
    assert sections["Methods"].xpath(".//a/@href") == ["https://example.org/protocol"]
    assert texts(sections["Keywords"], ".//li") == ["small-angle neutron scattering", "protein crowding", "lysozyme"]
    assert sections["Related works"].xpath(".//a/@href") == [
        "https://doi.org/10.1107/S1600576725000001",
        "https://github.com/ess-dmsc/loki-reduction",
    ]
    assert "Is supplement to" in sections["Related works"].text_content()
    assert texts(sections["Funding"], ".//li") == ["European Commission, grant 101004728"]
    assert sections["Funding"].xpath(".//a/@href") == ["https://doi.org/10.13039/501100000780"]
    assert texts(sections["Contributors"], ".//li") == ["Data collector Larsen, Per"]


def test_cite_block_has_datacite_citation_and_bibtex(client: FlaskClient, rich: Pusher) -> None:
    doc = page_of(client.get(PAGE))
    assert texts(doc, "//p[@class='citation']") == [
        "Nilsson, Karin; Øster-Berg, Jonas; ESS Data Management (2025): Small-angle neutron scattering of protein "
        "crowding, LoKI commissioning. Version 1.1. European Spallation Source ERIC. Dataset. "
        f"https://doi.org/{RICH_DOI}"
    ]
    bibtex = doc.xpath("//pre[@class='bibtex']")[0].text_content()
    assert bibtex.startswith("@misc{10.17199/ess-2025-00042,\n")
    assert "author = {Nilsson, Karin and Øster-Berg, Jonas and {ESS Data Management}}" in bibtex


def test_machine_readable_head(client: FlaskClient, rich: Pusher) -> None:
    doc = page_of(client.get(PAGE))
    meta = {}
    for element in doc.xpath("//head/meta[@name]"):
        meta.setdefault(element.get("name"), []).append(element.get("content"))
    assert meta["citation_title"] == ["Small-angle neutron scattering of protein crowding, LoKI commissioning"]
    assert meta["citation_author"] == ["Nilsson, Karin", "Øster-Berg, Jonas", "ESS Data Management"]
    assert meta["citation_doi"] == [RICH_DOI] and meta["citation_publication_date"] == ["2025/06/02"]
    assert meta["DC.identifier"] == [f"https://doi.org/{RICH_DOI}"] and meta["DC.type"] == ["Dataset"]
    assert meta["DC.subject"] == ["small-angle neutron scattering", "protein crowding", "lysozyme"]
    assert doc.xpath("//link[@rel='canonical']/@href") == [f"https://doi.example.org{PAGE}"]
    [block] = doc.xpath("//script[@type='application/ld+json']/text()")
    assert json.loads(block) == client.get(PAGE + "/schemaorg.json").get_json()


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/doi/10.17199/ESS-2025-00042", PAGE),
        ("/doi/10.17199%2Fess-2025-00042", PAGE),
        ("/doi/10.17199%2FESS-2025-00042", PAGE),
        ("/doi/doi:10.17199/ess-2025-00042", PAGE),
        ("/doi/https://doi.org/10.17199/ESS-2025-00042", PAGE),
        ("/doi/10.17199/ESS-2025-00042?utm=x", PAGE + "?utm=x"),
        ("/doi/10.17199/ESS-2025-00042/citation.bib", PAGE + "/citation.bib"),
        ("/doi/10.17199%2fess-2025-00042/linkset", PAGE + "/linkset"),
    ],
)
def test_other_spellings_redirect_permanently(client: FlaskClient, rich: Pusher, path: str, location: str) -> None:
    response = client.get(path)
    assert (response.status_code, response.headers["Location"]) == (301, location)
    assert client.get(location).status_code == 200


def test_reserved_characters_in_a_doi_are_escaped_in_its_url(client: FlaskClient, pusher: Pusher) -> None:
    assert pusher.put(v4_document("10.1234/a#b?c%d", "Odd suffix")).status_code == 201
    response = client.get("/doi/10.1234/a%23b%3Fc%25d")
    assert response.status_code == 200
    assert page_of(response).xpath("//link[@rel='canonical']/@href") == [
        "https://doi.example.org/doi/10.1234/a%23b%3Fc%25d"
    ]


@pytest.mark.parametrize(("path", "status"), [("/doi/10.1234/a%23b%3Fc%25d", 200), ("/doi/10.1234/A%23b%3Fc%25d", 301)])
def test_canonical_check_without_a_raw_request_line(
    client: FlaskClient, pusher: Pusher, path: str, status: int
) -> None:
    pusher.put(v4_document("10.1234/a#b?c%d", "Odd suffix"))
    response = client.get(path, environ_overrides={"RAW_URI": "", "REQUEST_URI": ""})
    assert response.status_code == status


@pytest.mark.parametrize("path", ["/doi/10.9999/not-here", "/doi/not-a-doi", "/doi/10.9999/x/citation.bib"])
def test_unknown_dois_get_a_404_page(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert texts(page_of(response), "//h1") == ["No dataset under this DOI"]


def test_head_answers_like_get_without_body(client: FlaskClient, rich: Pusher) -> None:
    response = client.head(PAGE)
    assert response.status_code == 200 and response.data == b"" and "cite-as" in response.headers["Link"]


def test_staged_files_are_listed_with_links_sizes_and_checksums(app: Flask, client: FlaskClient, rich: Pusher) -> None:
    stage(download_dir(app), RICH_KEY)
    doc = page_of(client.get(PAGE))
    [section] = doc.xpath("//section[@id='files']")
    rows = section.xpath(".//table[@class='files']/tbody/tr")
    assert [r.xpath("string(td[1])").strip() for r in rows] == sorted(STAGED_FILES)
    first = rows[0]
    assert first.xpath("td[1]/a/@href") == ["https://doi.example.org" + file_path(RICH_KEY, "README.md")]
    assert first.xpath("string(td[2])").strip() == "54 B"
    assert (
        first.xpath("string(td[3])").split()[-1] == "1e81c1388c1a4c62470ec949a2506954c849ef8592ea86977af3db77a1a850bb"
    )
    spaced = section.xpath(".//a[text()='reduced/lysozyme 50 mg-ml.dat']/@href")
    assert spaced == ["https://doi.example.org/download/10.17199/ess-2025-00042/reduced/lysozyme%2050%20mg-ml.dat"]
    assert section.xpath(".//a[contains(., 'Download all')]/@href") == [
        "https://doi.example.org/download/10.17199/ess-2025-00042.zip"
    ]
    assert "5 files · 23.7 kB" in section.text_content()


def test_a_long_file_list_links_to_the_full_listing(app: Flask, client: FlaskClient, rich: Pusher) -> None:
    stage(download_dir(app), RICH_KEY, {f"frames/f{i:04d}.tif": b"x" for i in range(130)})
    [section] = page_of(client.get(PAGE)).xpath("//section[@id='files']")
    assert len(section.xpath(".//tbody/tr")) == 100
    assert section.xpath(".//p[@class='more']/a/@href") == ["https://doi.example.org/download/10.17199/ess-2025-00042/"]
    assert "30 more files" in section.text_content()


@pytest.mark.parametrize(
    ("state", "says", "link"),
    [
        ("staging", "being prepared", "https://public.esss.dk/data/loki/2025/00042/"),
        ("evicted", "removed to make room", "https://public.esss.dk/data/loki/2025/00042/"),
        ("absent", "Available on request", "https://public.esss.dk/data/loki/2025/00042/"),
    ],
)
def test_unstaged_states_say_why_and_where_else(
    app: Flask, client: FlaskClient, rich: Pusher, state: str, says: str, link: str
) -> None:
    if state != "absent":
        mark(download_dir(app), RICH_KEY, state)
    [section] = page_of(client.get(PAGE)).xpath("//section[@id='files']")
    assert says in section.text_content()
    assert section.xpath(".//a/@href") == [link]
    assert not section.xpath(".//table")


def test_on_request_without_a_download_link(client: FlaskClient, pusher: Pusher) -> None:
    pusher.put(scicat_example("v4-public-minimal.json"))
    [section] = page_of(client.get("/doi/10.17199/ess-2025-00043")).xpath("//section[@id='files']")
    assert "Available on request" in section.text_content() and "contact ESS" in section.text_content()
    assert section.xpath(".//a") == []


def test_withdrawn_record_is_a_410_tombstone_without_downloads(app: Flask, client: FlaskClient, rich: Pusher) -> None:
    stage(download_dir(app), RICH_KEY)
    rich.withdraw(RICH_DOI, "Calibration error; see the corrected dataset.")
    response = client.get(PAGE)
    assert response.status_code == 410 and response.mimetype == "text/html"
    doc = page_of(response)
    assert texts(doc, "//h1") == ["Small-angle neutron scattering of protein crowding, LoKI commissioning"]
    notice = texts(doc, "//div[contains(@class, 'notice')]")[0]
    stamp = doc.xpath("//time/@datetime")[0]
    assert f"withdrawn on {stamp[:10]}" in notice and "Calibration error; see the corrected dataset." in notice
    assert texts(doc, "//p[@class='citation']")[0].startswith("Nilsson, Karin; Øster-Berg, Jonas; ESS")
    assert not doc.xpath("//a[contains(@href, '/download/')]") and "/download/" not in response.text
    assert response.headers["Link"] == f'<https://doi.org/{RICH_DOI}>; rel="cite-as"'
    for export in ("citation.bib", "datacite.xml", "linkset"):
        assert client.get(f"{PAGE}/{export}").status_code == 410


@pytest.mark.parametrize("path", [PAGE, "/", "/?q=x", "/doi/10.9999/none", "/?before=bad"])
def test_html_responses_carry_security_headers(client: FlaskClient, rich: Pusher, path: str) -> None:
    headers = client.get(path).headers
    csp = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'none'" and csp["frame-ancestors"] == "'none'" and "script-src" not in csp
    assert csp["style-src"] == "'self'"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_other_answers_say_nosniff_and_a_views_own_policy_is_kept(client: FlaskClient, rich: Pusher) -> None:
    xml = client.get("/oai?verb=Identify").headers
    assert xml["X-Content-Type-Options"] == "nosniff" and "Content-Security-Policy" not in xml
    assert "X-Frame-Options" not in xml
    own = [("Content-Type", "image/png"), ("Content-Security-Policy", "default-src 'none'; sandbox")]
    security.add_defaults(own)
    assert own == [("Content-Type", "image/png"), ("Content-Security-Policy", "default-src 'none'; sandbox")]


def test_record_text_is_escaped_in_html_and_json_ld(client: FlaskClient, pusher: Pusher) -> None:
    pusher.put(hostile_document())
    response = client.get("/doi/10.1234/hostile-1")
    doc = page_of(response)
    assert texts(doc, "//h1") == [HOSTILE_TITLE]
    assert len(doc.xpath("//script")) == 1 and not doc.xpath("//img[@src='x'] | //main//b | //i")
    [block] = doc.xpath("//script[@type='application/ld+json']/text()")
    assert "<" not in block and json.loads(block)["name"] == HOSTILE_TITLE
    assert "<script>window" not in response.text


def test_store_outage_is_a_503_page(app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*args: object, **kwargs: object) -> None:
        raise StoreUnavailable("test outage")

    for method in ("summary", "summary_with_part", "page_read", "get", "browse"):
        monkeypatch.setattr(type(store_of(app).store), method, down)
    for path in (PAGE, "/"):
        response = client.get(path)
        assert response.status_code == 503 and response.mimetype == "text/html"
        assert response.headers["Retry-After"] == "30"


def test_cached_pages_follow_record_and_download_changes(app: Flask, client: FlaskClient, rich: Pusher) -> None:
    first = client.get(PAGE)
    assert "Available on request" in first.text
    stage(download_dir(app), RICH_KEY)
    assert "Download all (ZIP)" in client.get(PAGE).text
    mark(download_dir(app), RICH_KEY, "evicted")
    assert "removed to make room" in client.get(PAGE).text
    changed = rich_document()
    changed["title"] = "Corrected title"
    assert rich.put(changed).status_code == 200
    assert texts(page_of(client.get(PAGE)), "//h1") == ["Corrected title"]
    rich.withdraw(RICH_DOI)
    assert client.get(PAGE).status_code == 410


def test_etag_answers_conditional_requests(client: FlaskClient, rich: Pusher) -> None:
    etag = client.get(PAGE).headers["ETag"]
    again = client.get(PAGE, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get(PAGE, headers={"If-None-Match": '"other"'}).status_code == 200


def test_a_pending_doi_and_a_v3_record(client: FlaskClient, pusher: Pusher) -> None:
    doc = scicat_example("v3-pending-minimal.json")
    assert pusher.put(doc).status_code == 201
    page = page_of(client.get("/doi/" + doc["doi"].lower()))
    assert "DOI registration pending" in texts(page, "//p[@class='kicker']")[0]
    assert texts(page, "//h1") == [doc["title"]]


def test_demo_records_render(client: FlaskClient, pusher: Pusher) -> None:
    from oai_server.demo import DEMO_DOCUMENTS

    for document in DEMO_DOCUMENTS:
        assert pusher.put(document).status_code == 201
        response = client.get("/doi/" + document["doi"].lower())
        assert response.status_code == 200
        assert texts(page_of(response), "//h1") == [document["title"]]
    assert len(page_of(client.get("/")).xpath("//ol[@class='results']/li")) == len(DEMO_DOCUMENTS)
