"""The exports checked by the real parsers of their formats: BibTeX, RIS, CSL-JSON, JSON-LD, Signposting, robots."""

from __future__ import annotations

import json
from typing import Any

import bibtexparser
import pybtex.database
import pytest
import rispy
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from conftest import v4_document
from flask.testing import FlaskClient
from landing_data import stage
from lxml import etree
from protego import Protego
from pyld import jsonld
from signposting.linkheader import find_signposting_http_link
from signposting.linkset import LinksetJSON, _parse_linkset_json

from catalogue_core.store import StoredRecord
from catalogue_core.urls import doi_url, file_path
from landing import citation, schemaorg, signposting
from landing.exports import EXPORTS
from landing.page import RecordPage

BASE = "https://doi.example.org"
SITEMAP = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
# Suffix characters the DOI Handbook says must (%, #, ?, ") or should ({, }) be %-encoded in a URL.
ODD_DOI = '10.1234/A_1%x#2?y"{z}'
ODD_DOI_URL = "https://doi.org/10.1234/A_1%25x%232%3Fy%22%7Bz%7D"


def meta(**extra: Any) -> dict[str, Any]:
    """Return DataCite JSON metadata with every character BibTeX and RIS treat specially."""
    out: dict[str, Any] = {
        "creators": [
            {"name": "Nilsson, Karin", "nameType": "Personal", "givenName": "Karin", "familyName": "Nilsson"},
            {"name": "Øster-Berg, Jonas", "givenName": "Jonas", "familyName": "Øster-Berg"},
            {"name": "Smith & Sons {Lab} 100%", "nameType": "Organizational"},
            {"name": "de la Cruz, Ana", "nameType": "Personal"},
        ],
        "titles": [{"title": "f(x) = {a: 50% & y_1 #2 $b$ ~ ^ \\ Ünïcode"}],
        "publisher": {"name": "ESS & Co"},
        "publicationYear": 2025,
        "dates": [{"date": "2025-06-02", "dateType": "Issued"}],
        "types": {"resourceTypeGeneral": "Dataset"},
        "descriptions": [{"description": "Short.", "descriptionType": "Abstract"}],
        "rightsList": [{"rights": "CC BY 4.0", "rightsUri": "https://creativecommons.org/licenses/by/4.0/legalcode"}],
        "subjects": [{"subject": "neutrons"}],
        "version": "1.1",
    }
    out.update(extra)
    return out


def page_of(doi: str = ODD_DOI, **extra: Any) -> RecordPage:
    """Return the page of a record with the given DOI and metadata, no store needed."""
    record = StoredRecord(
        key=doi.lower(),
        doi=doi,
        datestamp="2025-06-03T12:00:00Z",
        created="2025-06-03T12:00:00Z",
        deleted=False,
        content_hash="0",
        metadata=meta(**extra),
    )
    return RecordPage(record, BASE)


def test_doi_urls_follow_the_doi_handbook_encoding() -> None:
    assert doi_url("10.1234/abc-1.2_x") == "https://doi.org/10.1234/abc-1.2_x"
    assert doi_url(ODD_DOI) == ODD_DOI_URL


@pytest.mark.parametrize("parse", ["pybtex", "bibtexparser"])
def test_bibtex_parses_with_real_parsers(parse: str) -> None:
    page = page_of()
    text = citation.bibtex(page.doi, page.meta, page.landing_url)
    if parse == "pybtex":  # pybtex counts braces as BibTeX does: a backslash does not hide one
        entry = next(iter(pybtex.database.parse_string(text, "bibtex").entries.values()))
        assert entry.type == "misc"
        assert [str(p) for p in entry.persons["author"]] == [
            "Nilsson, Karin",
            "Øster-Berg, Jonas",
            r"{Smith \& Sons \textbraceleft{}Lab\textbraceright{} 100\%}",
            "de la Cruz, Ana",
        ]
        fields = entry.fields
    else:
        library = bibtexparser.parse_string(text)
        assert not library.failed_blocks
        fields = {f.key: f.value for f in library.entries[0].fields}
    assert fields["title"] == (r"{f(x) = \textbraceleft{}a: 50\% \& y\_1 \#2 \$b\$ \~{} \^{} \textbackslash{} Ünïcode}")
    # biblatex reads doi and url verbatim: LaTeX escapes there would end up in the link.
    assert fields["doi"] == ODD_DOI.replace("{", "%7B").replace("}", "%7D")
    assert fields["url"] == ODD_DOI_URL
    assert fields["year"] == "2025" and fields["publisher"] == r"ESS \& Co"


def test_ris_parses_with_rispy_and_ends_lines_with_crlf() -> None:
    page = page_of()
    text = citation.ris(page.doi, page.meta, page.landing_url)
    # RIS: "each tag and its contents must be on a separate line, preceded by a carriage return/line feed".
    assert text.endswith("ER  - \r\n") and "\n" not in text.replace("\r\n", "")
    (entry,) = rispy.loads(text)
    assert entry["type_of_reference"] == "DATA"
    assert entry["authors"] == ["Nilsson, Karin", "Øster-Berg, Jonas", "Smith & Sons {Lab} 100%", "de la Cruz, Ana"]
    assert entry["doi"] == ODD_DOI and entry["urls"] == [ODD_DOI_URL]
    assert entry["year"] == "2025" and entry["publisher"] == "ESS & Co"


# The CSL-JSON item schema (citation-style-language/schema, csl-data.json), the parts our items use.
CSL_TYPES = {"dataset", "software", "document", "graphic", "motion_picture", "report", "article-journal", "article"}
CSL_STRINGS = {"title", "publisher", "DOI", "URL", "abstract", "keyword", "version", "language", "genre"}
CSL_NAME_KEYS = {"family", "given", "dropping-particle", "non-dropping-particle", "suffix", "literal"}


def assert_csl_item(item: dict[str, Any]) -> None:
    """Fail unless the item meets csl-data.json: known keys and types, names and date-parts as the schema says."""
    assert set(item) <= CSL_STRINGS | {"id", "type", "author", "issued"}
    assert item["type"] in CSL_TYPES and isinstance(item["id"], str)
    assert all(isinstance(item[k], str) for k in CSL_STRINGS & set(item))
    assert all(set(name) <= CSL_NAME_KEYS and name for name in item["author"])
    if "issued" in item:
        parts = item["issued"]["date-parts"]
        assert 1 <= len(parts) <= 2 and all(1 <= len(p) <= 3 and all(isinstance(n, int) for n in p) for p in parts)
    assert "doi.org" not in item["DOI"]


@pytest.mark.parametrize(
    ("extra", "issued"),
    [
        ({}, {"date-parts": [[2025, 6, 2]]}),
        ({"dates": [], "publicationYear": None}, None),
        ({"dates": [{"date": "circa 2020", "dateType": "Issued"}]}, None),
    ],
)
def test_csl_json_meets_the_schema_and_renders(extra: dict[str, Any], issued: Any) -> None:
    page = page_of(**extra)
    item = citation.csl(page.doi, page.meta)
    assert_csl_item(item)
    assert item.get("issued") == issued
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON([item]), formatter.plain)
    bibliography.register(Citation([CitationItem(item["id"])]))
    (rendered,) = bibliography.bibliography()
    year = "2025" if issued else "no date"
    assert str(rendered).startswith(f"Nilsson, K. et al. ({year}) “f(x) = {{a: 50% & y_1")
    assert "ESS & Co" in str(rendered)


def offline_loader(url: str, options: dict[str, Any]) -> dict[str, Any]:
    """Answer the schema.org context from here: no network in tests."""
    assert url.rstrip("/") == "https://schema.org", url
    return {"contextUrl": None, "documentUrl": url, "document": {"@context": {"@vocab": "https://schema.org/"}}}


@pytest.mark.parametrize(
    ("abstract", "length"), [("Short.", None), ("x" * 6000, 5000), ("Long enough abstract. " * 5, 110)]
)
def test_schema_org_meets_google_dataset_rules(abstract: str, length: int | None) -> None:
    page = page_of(descriptions=[{"description": abstract, "descriptionType": "Abstract"}])
    data = schemaorg.dataset(page)
    # Google: description between 50 and 5000 characters; name, identifier, license, typed creators.
    assert 50 <= len(data["description"]) <= 5000
    if length:
        assert len(data["description"]) == length
    assert data["@id"] == ODD_DOI_URL and data["identifier"][0] == ODD_DOI_URL
    assert [c["@type"] for c in data["creator"]] == ["Person", "Person", "Organization", "Person"]
    expanded = jsonld.expand(json.loads(json.dumps(data)), {"documentLoader": offline_loader})
    (node,) = expanded
    assert node["@id"] == ODD_DOI_URL and node["@type"] == ["https://schema.org/Dataset"]
    assert node["https://schema.org/isAccessibleForFree"] == [{"@value": True}]


def test_link_header_and_linkset_read_by_a_signposting_client() -> None:
    page = page_of(rightsList=[{"rights": "Own", "rightsUri": "https://example.org/licence/100%"}])
    header = signposting.link_header(page)
    found = find_signposting_http_link([header], page.landing_url)
    assert str(found.citeAs.target) == ODD_DOI_URL
    assert {str(s.target) for s in found.types} == set(signposting.TYPES)
    assert {(str(s.target), str(s.type)) for s in found.describedBy} == {
        (page.export_url(e.name), e.media_type) for e in EXPORTS
    }
    assert str(found.license.target) == "https://example.org/licence/100%25"
    body = json.dumps(signposting.linkset(page))
    linkset = _parse_linkset_json(LinksetJSON(body, signposting.LINKSET_TYPE, page.landing_url, page.landing_url))
    assert str(linkset.citeAs.target) == ODD_DOI_URL and str(linkset.license.target).endswith("/100%25")
    assert {str(s.target) for s in linkset.describedBy} == {page.export_url(e.name) for e in EXPORTS}


@pytest.mark.parametrize("store_kind", ["sqlite"])
@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("text/x-bibliography; style=apa; locale=en-US", "text/x-bibliography"),
        ('application/ld+json; profile="http://schema.org"', "application/ld+json"),
        ("application/vnd.schemaorg.ld+json", "application/ld+json"),
        ("application/x-bibtex;q=0.2, text/x-bibliography; style=apa;q=0.9", "text/x-bibliography"),
        ("application/x-bibtex;q=0", "text/html"),
    ],
)
def test_negotiation_ignores_media_type_parameters(
    client: FlaskClient, pusher: Any, store_kind: str, accept: str, media_type: str
) -> None:
    assert pusher.put(v4_document("10.1234/neg-1")).status_code == 201
    response = client.get("/doi/10.1234/neg-1", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == media_type
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_robots_txt_reads_as_meant(client: FlaskClient, store_kind: str) -> None:
    rules = Protego.parse(client.get("/robots.txt").text)
    assert rules.can_fetch(f"{BASE}/doi/10.1234/x", "Googlebot")
    assert rules.can_fetch(f"{BASE}/doi/10.1234/x/citation.bib", "Googlebot")
    for path in ("/api/v1/records", "/oai?verb=Identify", "/download/10.1234/x/a.h5", "/scicat/x"):
        assert not rules.can_fetch(BASE + path, "Googlebot"), path
    assert list(rules.sitemaps) == [f"{BASE}/sitemap.xml"]


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_items_link_back_to_their_landing_page(app: Any, client: FlaskClient, pusher: Any, store_kind: str) -> None:
    # FAIR Signposting level 1: a content resource names its landing page with rel="collection".
    assert pusher.put(v4_document("10.1234/Items:1")).status_code == 201
    stage(app.config["DMZPUB_DOWNLOAD_DIR"], "10.1234/items:1", {"a b.h5": b"1"})
    response = client.get(file_path("10.1234/items:1", "a b.h5"), buffered=True)
    assert response.status_code == 200 and response.data == b"1"
    found = find_signposting_http_link([response.headers["Link"]], BASE + file_path("10.1234/items:1", "a b.h5"))
    collection = found.collection
    assert str(collection.target) == f"{BASE}/doi/10.1234/items:1" and collection.type == "text/html"
    assert client.get(str(collection.target).removeprefix(BASE)).status_code == 200


def test_related_dois_link_with_handbook_encoding() -> None:
    related = [
        {"relatedIdentifier": "doi:10.1234/x#1", "relatedIdentifierType": "DOI", "relationType": "IsSupplementTo"}
    ]
    assert schemaorg.dataset(page_of(relatedIdentifiers=related))["citation"] == ["https://doi.org/10.1234/x%231"]


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_sitemap_locs_stay_under_2048_characters(client: FlaskClient, pusher: Any, store_kind: str) -> None:
    # sitemaps.org: <loc> "must be less than 2,048 characters"; a long non-ASCII DOI %-encodes past that.
    long_doi = "10.5555/" + "ü" * 400
    for doi in (long_doi, "10.5555/short"):
        assert pusher.put(v4_document(doi)).status_code == 201, doi
    locs = etree.fromstring(client.get("/sitemap.xml").data).xpath("//s:loc/text()", namespaces=SITEMAP)
    assert f"{BASE}/doi/10.5555/short" in locs and all(len(loc) < 2048 for loc in locs)
    assert client.get(f"/doi/{long_doi}", follow_redirects=True).status_code == 200
