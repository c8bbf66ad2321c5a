"""Exports at stable URLs and by content negotiation; FAIR Signposting headers and linkset."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import SHARED, Pusher, v4_document
from flask import Flask
from flask.testing import FlaskClient
from landing_data import RICH_DOI, RICH_KEY, rich_document, stage
from lxml import etree

from landing.exports import EXPORTS
from oai_server.store import of as store_of

PAGE = "/doi/" + RICH_KEY
BASE = "https://doi.example.org"


@pytest.fixture
def rich(pusher: Pusher) -> Pusher:
    assert pusher.put(rich_document()).status_code == 201
    return pusher


@pytest.fixture(scope="module")
def datacite_xsd() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SHARED / "schemas" / "datacite-kernel-4" / "metadata.xsd")))


def links(header: str) -> list[dict[str, str]]:
    """Return the links of a Link header as {href, rel, type?} dicts."""
    out = []
    for part in header.split(", <"):
        target, *params = part.split(";")
        link = {"href": target.strip().strip("<>")}
        for param in params:
            name, value = param.strip().split("=", 1)
            link[name] = value.strip('"')
        out.append(link)
    return out


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("application/vnd.datacite.datacite+xml", "application/vnd.datacite.datacite+xml"),
        ("application/vnd.datacite.datacite+json", "application/vnd.datacite.datacite+json"),
        ("application/ld+json", "application/ld+json"),
        ("application/vnd.citationstyles.csl+json", "application/vnd.citationstyles.csl+json"),
        ("application/x-bibtex", "application/x-bibtex"),
        ("application/x-research-info-systems", "application/x-research-info-systems"),
        ("text/x-bibliography", "text/x-bibliography"),
        ("application/linkset+json", "application/linkset+json"),
        ("application/x-bibtex;q=0.5, application/ld+json", "application/ld+json"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("*/*", "text/html"),
        ("application/x-unknown", "text/html"),
        ("", "text/html"),
    ],
)
def test_content_negotiation(client: FlaskClient, rich: Pusher, accept: str, media_type: str) -> None:
    response = client.get(PAGE, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200 and response.mimetype == media_type
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize("export", EXPORTS, ids=lambda e: e.name)
def test_each_export_has_a_stable_url_matching_negotiation(client: FlaskClient, rich: Pusher, export: Any) -> None:
    by_url = client.get(f"{PAGE}/{export.name}")
    assert by_url.status_code == 200 and by_url.mimetype == export.media_type
    assert by_url.data == client.get(PAGE, headers={"Accept": export.media_type}).data
    assert by_url.headers["Access-Control-Allow-Origin"] == "*"
    assert by_url.headers["Link"] == f'<{BASE}{PAGE}>; rel="describes"; type="text/html"'


def test_datacite_xml_is_the_stored_rendering_and_valid(
    app: Flask, client: FlaskClient, rich: Pusher, datacite_xsd: etree.XMLSchema
) -> None:
    body = client.get(PAGE + "/datacite.xml").data
    root = etree.fromstring(body)
    datacite_xsd.assertValid(root)
    with app.app_context():
        stored = store_of(app).store.get(RICH_KEY).rendered["datacite"]
    assert etree.tostring(root, encoding="unicode") == stored
    ns = {"d": "http://datacite.org/schema/kernel-4"}
    assert root.xpath("d:identifier/text()", namespaces=ns) == [RICH_DOI]


def test_datacite_json_is_the_canonical_metadata(client: FlaskClient, rich: Pusher) -> None:
    data = client.get(PAGE + "/datacite.json").get_json(force=True)
    assert data["doi"] == RICH_DOI and data["publisher"]["name"] == "European Spallation Source ERIC"
    assert [c["name"] for c in data["creators"]][:2] == ["Nilsson, Karin", "Øster-Berg, Jonas"]


def test_csl_json(client: FlaskClient, rich: Pusher) -> None:
    item = json.loads(client.get(PAGE + "/csl.json").data)
    assert item["type"] == "dataset" and item["DOI"] == RICH_DOI
    assert item["author"] == [
        {"family": "Nilsson", "given": "Karin"},
        {"family": "Øster-Berg", "given": "Jonas"},
        {"literal": "ESS Data Management"},
    ]
    assert item["issued"] == {"date-parts": [[2025, 6, 2]]} and item["version"] == "1.1"
    assert item["publisher"] == "European Spallation Source ERIC"


def test_ris(client: FlaskClient, rich: Pusher) -> None:
    lines = client.get(PAGE + "/citation.ris").text.splitlines()
    assert lines[0] == "TY  - DATA" and lines[-1] == "ER  - "
    assert [line for line in lines if line.startswith("AU")] == [
        "AU  - Nilsson, Karin",
        "AU  - Øster-Berg, Jonas",
        "AU  - ESS Data Management",
    ]
    assert f"DO  - {RICH_DOI}" in lines and "PY  - 2025" in lines and "KW  - lysozyme" in lines


def test_formatted_citation(client: FlaskClient, rich: Pusher) -> None:
    text = client.get(PAGE, headers={"Accept": "text/x-bibliography"}).text
    assert text.startswith("Nilsson, Karin; Øster-Berg, Jonas; ESS Data Management (2025): Small-angle")
    assert text.rstrip().endswith(f"Version 1.1. European Spallation Source ERIC. Dataset. https://doi.org/{RICH_DOI}")


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("50% of {x} & y_1 #2", r"title = {{50\% of \textbraceleft{}x\textbraceright{} \& y\_1 \#2}}"),
        ("Ca$^{2+}$ \\ ~", r"title = {{Ca\$\^{}\textbraceleft{}2+\textbraceright{}\$ \textbackslash{} \~{}}}"),
    ],
)
def test_bibtex_escapes_special_characters(client: FlaskClient, pusher: Pusher, title: str, expected: str) -> None:
    pusher.put(v4_document("10.1234/bib-1", title))
    assert expected in client.get("/doi/10.1234/bib-1/citation.bib").text


def test_schema_org_dataset(app: Flask, client: FlaskClient, rich: Pusher) -> None:
    stage(app.config["DMZPUB_DOWNLOAD_DIR"], RICH_KEY)
    data = client.get(PAGE + "/schemaorg.json").get_json(force=True)
    assert data["@context"] == "https://schema.org" and data["@type"] == "Dataset"
    assert data["url"] == BASE + PAGE and data["identifier"][0] == f"https://doi.org/{RICH_DOI}"
    assert data["author"] == data["creator"] and data["creator"][2] == {
        "@type": "Organization",
        "name": "ESS Data Management",
    }
    assert data["creator"][0]["identifier"]["url"] == "https://orcid.org/0000-0002-1825-0097"
    assert data["publisher"] == {
        "@type": "Organization",
        "name": "European Spallation Source ERIC",
        "@id": "https://ror.org/01wv9cn34",
    }
    assert data["datePublished"] == "2025-06-02" and data["version"] == "1.1"
    assert data["keywords"] == ["small-angle neutron scattering", "protein crowding", "lysozyme"]
    assert data["isAccessibleForFree"] is True and data["contentSize"] == "23.7 kB"
    assert data["sameAs"] == [f"https://doi.org/{RICH_DOI}"]
    assert data["description"].startswith("Small-angle neutron scattering (SANS)")
    readme = next(d for d in data["distribution"] if d["name"] == "README.md")
    assert readme == {
        "@type": "DataDownload",
        "name": "README.md",
        "contentUrl": f"{BASE}/download/{RICH_KEY}/README.md",
        "encodingFormat": "text/markdown",
        "contentSize": "54 B",
        "sha256": "1e81c1388c1a4c62470ec949a2506954c849ef8592ea86977af3db77a1a850bb",
    }


def test_signposting_link_header(app: Flask, client: FlaskClient, rich: Pusher) -> None:
    stage(app.config["DMZPUB_DOWNLOAD_DIR"], RICH_KEY, {"a.h5": b"1", "b.txt": b"2"})
    got = links(client.get(PAGE).headers["Link"])
    by_rel: dict[str, list[dict[str, str]]] = {}
    for link in got:
        by_rel.setdefault(link["rel"], []).append(link)
    assert by_rel["cite-as"] == [{"href": f"https://doi.org/{RICH_DOI}", "rel": "cite-as"}]
    assert [(d["href"], d["type"]) for d in by_rel["describedby"]] == [
        (f"{BASE}{PAGE}/{e.name}", e.media_type) for e in EXPORTS
    ]
    assert [i["href"] for i in by_rel["item"]] == [
        f"{BASE}/download/{RICH_KEY}/a.h5",
        f"{BASE}/download/{RICH_KEY}/b.txt",
    ]
    assert by_rel["item"][1]["type"] == "text/plain"
    assert [a["href"] for a in by_rel["author"]] == [
        "https://orcid.org/0000-0002-1825-0097",
        "https://orcid.org/0000-0001-5109-3700",
    ]
    assert [x["href"] for x in by_rel["license"]] == ["https://creativecommons.org/licenses/by/4.0/legalcode"]
    assert [t["href"] for t in by_rel["type"]] == ["https://schema.org/Dataset", "https://schema.org/AboutPage"]
    assert by_rel["linkset"] == [
        {"href": f"{BASE}{PAGE}/linkset", "rel": "linkset", "type": "application/linkset+json"}
    ]


@pytest.mark.parametrize(("files", "authors"), [(6, 2), (1, 6)])
def test_many_items_or_authors_reduce_the_header_to_the_linkset(
    app: Flask, client: FlaskClient, pusher: Pusher, files: int, authors: int
) -> None:
    creators = [
        {
            "name": f"Person {i}",
            "nameIdentifiers": [{"nameIdentifier": f"0000-0001-0000-000{i}", "nameIdentifierScheme": "ORCID"}],
        }
        for i in range(authors)
    ]
    pusher.put(v4_document("10.1234/many", "Many", creators=creators))
    stage(app.config["DMZPUB_DOWNLOAD_DIR"], "10.1234/many", {f"f{i}.dat": b"x" for i in range(files)})
    header = client.get("/doi/10.1234/many").headers["Link"]
    assert header == f'<{BASE}/doi/10.1234/many/linkset>; rel="linkset"; type="application/linkset+json"'
    linkset = client.get("/doi/10.1234/many/linkset").get_json(force=True)["linkset"]
    assert len(linkset[0]["item"]) == files and len(linkset[0]["author"]) == authors


def test_linkset_level_two(app: Flask, client: FlaskClient, rich: Pusher) -> None:
    stage(app.config["DMZPUB_DOWNLOAD_DIR"], RICH_KEY, {"a.h5": b"1"})
    response = client.get(PAGE + "/linkset")
    assert response.mimetype == "application/linkset+json"
    landing, item, *exports = response.get_json(force=True)["linkset"]
    assert landing["anchor"] == BASE + PAGE
    assert landing["cite-as"] == [{"href": f"https://doi.org/{RICH_DOI}"}]
    assert landing["item"] == [{"href": f"{BASE}/download/{RICH_KEY}/a.h5", "type": "application/x-hdf5"}]
    assert {"href": f"{BASE}{PAGE}/datacite.xml", "type": "application/vnd.datacite.datacite+xml"} in landing[
        "describedby"
    ]
    assert item == {
        "anchor": f"{BASE}/download/{RICH_KEY}/a.h5",
        "collection": [{"href": BASE + PAGE, "type": "text/html"}],
    }
    assert [e["anchor"] for e in exports] == [f"{BASE}{PAGE}/{e.name}" for e in EXPORTS]
    assert all(e["describes"] == [{"href": BASE + PAGE, "type": "text/html"}] for e in exports)
