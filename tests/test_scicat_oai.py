"""Harvesters of SciCat's provider keep working: its paths, bare DOIs, panosc; only registered DOIs are harvested."""

from __future__ import annotations

import copy
from typing import Any

import oai_support
import pytest
from conftest import NS, Pusher, v4_document
from flask.testing import FlaskClient
from lxml import etree
from oai_support import Clock, OAIClient, oai_id
from scicat_real import REGISTERED_DOI, SCICAT_REAL, real, wire_body

from catalogue_core.crosswalks import RenderContext, render_all
from catalogue_core.crosswalks.links import access_right
from catalogue_core.crosswalks.panosc import PANOSC_NS, PANOSC_XSD_FILE
from catalogue_core.record_writer import RecordWriter
from catalogue_core.scicat import from_scicat
from catalogue_core.store import ListQuery, Repository
from oai_server import create_app
from oai_server.store import of as store_of

oai = oai_support.oai
clock = oai_support.clock
PANOSC = {"p": PANOSC_NS}
DCITE = {"d": "http://datacite.org/schema/kernel-4", "oai": NS["oai"]}


def _with_status(doi: str, status: str) -> dict[str, Any]:
    return {**v4_document(doi, title=f"A {status} record"), "status": status}


STATUSES = {"public": "10.5555/a-public", "pending_registration": "10.5555/b-pending", "registered": "10.5555/c-reg"}
STATUSES["amended"] = "10.5555/d-amended"


def test_only_records_with_a_registered_doi_are_harvested(oai: OAIClient, pusher: Pusher, clock: Clock) -> None:
    for status, doi in STATUSES.items():
        assert pusher.put(_with_status(doi, status)).status_code == 201
    assert oai.identifiers(metadataPrefix="oai_dc") == [oai_id(STATUSES["registered"]), oai_id(STATUSES["amended"])]
    listed = oai(verb="ListRecords", metadataPrefix="datacite")
    assert len(listed.xpath("//oai:record", namespaces=NS)) == 2
    for status in ("public", "pending_registration"):
        assert oai.error(verb="GetRecord", identifier=oai_id(STATUSES[status]), metadataPrefix="oai_dc") == (
            "idDoesNotExist"
        )
        assert oai.error(verb="ListMetadataFormats", identifier=oai_id(STATUSES[status])) == "idDoesNotExist"
        # ... but the DOI's target exists before registration.
        assert pusher.client.get(f"/doi/{STATUSES[status]}").status_code == 200
    before = clock.stamp
    clock.advance(3600)
    assert pusher.put(_with_status(STATUSES["public"], "registered")).status_code == 200
    stamps = oai(verb="ListIdentifiers", metadataPrefix="oai_dc", from_=clock.stamp).xpath(
        "//oai:header/oai:datestamp/text()", namespaces=NS
    )
    assert stamps == [clock.stamp] and clock.stamp > before


def test_harvest_statuses_are_a_setting(app_config: dict[str, Any], xsd: etree.XMLSchema) -> None:
    app = create_app({**app_config, "DMZPUB_HARVEST_STATUSES": "public,registered"})
    try:
        pusher = Pusher(app.test_client())
        for status, doi in STATUSES.items():
            pusher.put(_with_status(doi, status))
        keys = OAIClient(app.test_client(), xsd).identifiers(metadataPrefix="oai_dc")
        assert keys == [oai_id(STATUSES["public"]), oai_id(STATUSES["registered"])]
    finally:
        store_of(app).close()


def test_private_stays_refused(pusher: Pusher) -> None:
    assert pusher.put(_with_status("10.5555/private", "private")).status_code == 422


def test_both_stores_filter_by_status_with_counts_and_sets(repo: Repository) -> None:
    publisher = RecordWriter(repo)
    publisher.publish_many([from_scicat(_with_status(doi, status)) for status, doi in STATUSES.items()])
    query = ListQuery(statuses=("registered", "amended"))
    assert [r.key for r in repo.list_records(query, None, 10)] == [STATUSES["registered"], STATUSES["amended"]]
    assert repo.count(query) == 2 and repo.count(ListQuery()) == 4
    in_set = ListQuery(set_spec="openaire_data", statuses=("public",))
    assert [r.key for r in repo.list_records(in_set, None, 10)] == [STATUSES["public"]] and repo.count(in_set) == 1
    assert repo.list_records(ListQuery(statuses=()), None, 10) == [] and repo.count(ListQuery(statuses=())) == 0
    repo.withdraw(STATUSES["registered"])
    listed = {r.key: r.deleted for r in repo.list_records(query, None, 10)}
    assert listed == {STATUSES["registered"]: True, STATUSES["amended"]: False}


@pytest.fixture
def registered(pusher: Pusher) -> str:
    """Push SciCat's captured register body; return its DOI."""
    assert pusher.put(wire_body("v3-register.http")).status_code == 201
    return REGISTERED_DOI


@pytest.mark.parametrize("path", ["/scicat/oai", "/openaire/oai", "/panosc/oai"])
def test_scicats_paths_answer_like_oai_with_their_own_base_url(
    client: FlaskClient, xsd: etree.XMLSchema, registered: str, path: str
) -> None:
    harvester = OAIClient(client, xsd, path)
    identify = harvester(verb="Identify")
    assert identify.findtext("oai:Identify/oai:baseURL", namespaces=NS) == "https://doi.example.org" + path
    assert identify.findtext("oai:request", namespaces=NS) == "https://doi.example.org" + path
    for identifier in (registered, registered.upper(), oai_id(registered)):
        record = harvester(verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
        assert record.findtext(".//oai:header/oai:identifier", namespaces=NS) == oai_id(registered)
    assert harvester.identifiers(metadataPrefix="oai_datacite") == [oai_id(registered)]
    assert client.post(path, data={"verb": "Identify"}).status_code == 200


def test_bare_doi_identifiers_when_the_facility_asks(app_config: dict[str, Any], xsd: etree.XMLSchema) -> None:
    app = create_app({**app_config, "DMZPUB_OAI_IDENTIFIERS": "doi"})
    try:
        Pusher(app.test_client()).put(wire_body("v3-register.http"))
        harvester = OAIClient(app.test_client(), xsd, "/scicat/oai")
        assert harvester.identifiers(metadataPrefix="oai_dc") == [REGISTERED_DOI]
        record = harvester(verb="GetRecord", identifier=REGISTERED_DOI, metadataPrefix="panosc")
        assert record.findtext(".//oai:header/oai:identifier", namespaces=NS) == REGISTERED_DOI
        formats = harvester(verb="ListMetadataFormats", identifier=REGISTERED_DOI)
        assert "panosc" in formats.xpath("//oai:metadataPrefix/text()", namespaces=NS)
    finally:
        store_of(app).close()


def test_panosc_holds_scicats_element_set_in_the_namespace_it_advertises(
    oai: OAIClient, client: FlaskClient, registered: str
) -> None:
    formats = oai(verb="ListMetadataFormats")
    (fmt,) = formats.xpath("//oai:metadataFormat[oai:metadataPrefix='panosc']", namespaces=NS)
    assert fmt.findtext("oai:metadataNamespace", namespaces=NS) == PANOSC_NS
    schema_url = fmt.findtext("oai:schema", namespaces=NS)
    assert schema_url == "https://doi.example.org/schemas/panosc.xsd"
    served = client.get("/schemas/panosc.xsd")
    assert served.status_code == 200 and served.data == PANOSC_XSD_FILE.read_bytes()
    doc = oai(verb="GetRecord", identifier=registered, metadataPrefix="panosc")  # validated against that schema
    (root,) = doc.xpath("//oai:metadata/*", namespaces=NS)
    assert root.tag == f"{{{PANOSC_NS}}}panosctype"
    scicats = etree.parse(str(SCICAT_REAL / "oai-provider" / "panosc-GetRecord-panosc.xml"))
    theirs = [etree.QName(e).localname for e in scicats.xpath("//oai:metadata/*/*", namespaces=NS)]
    assert [etree.QName(e).localname for e in root] == theirs
    values = {etree.QName(e).localname: e.text or "" for e in root}
    assert values["id"] == registered and values["name"].startswith("Tomography of fossil X")
    assert values["description"] == "https://github.com/example/fossil-x-analysis"
    assert values["owner"] == "Doe, Jane; Smith, John" and values["size"] == "17179869184"


def _oai_datacite(document: dict[str, Any]) -> etree._Element:
    rendered = render_all(from_scicat(copy.deepcopy(document)), RenderContext("https://doi.example.org"))
    return etree.fromstring(rendered["oai_datacite"]).find(".//d:resource", DCITE)


def test_oai_datacite_carries_what_openaires_data_guidelines_require() -> None:
    for document in (wire_body("v3-register.http"), real("v4-stored-full.json"), real("migrated.json")[0]):
        resource = _oai_datacite(document)
        # Mandatory: identifier (DOI), creator, title, publisher, publication year, access right, dates.
        assert resource.find("d:identifier", DCITE).get("identifierType") == "DOI"
        assert resource.find("d:identifier", DCITE).text == document["doi"]
        assert all(c.findtext("d:creatorName", namespaces=DCITE) for c in resource.iterfind(".//d:creator", DCITE))
        assert resource.findtext("d:titles/d:title", namespaces=DCITE) == document["title"]
        assert resource.findtext("d:publisher", namespaces=DCITE) and resource.findtext(
            "d:publicationYear", namespaces=DCITE
        )
        rights = [r.get("rightsURI") for r in resource.iterfind("d:rightsList/d:rights", DCITE)]
        offered = document.get("downloadLink") or document.get("metadata", {}).get("downloadLink")
        expected = "openAccess" if offered else "restrictedAccess"  # files SciCat offers for download
        assert [r for r in rights if r.startswith("info:eu-repo/semantics/")] == ["info:eu-repo/semantics/" + expected]
        assert resource.find("d:resourceType", DCITE).get("resourceTypeGeneral") == "Dataset"
        # Mandatory if applicable: each is there when the record has it, with its controlled attributes.
        assert (
            resource.xpath("d:dates/d:date[@dateType='Issued']", namespaces=DCITE) or "registeredTime" not in document
        )
        assert all(c.get("contributorType") for c in resource.iterfind("d:contributors/d:contributor", DCITE))
        for related in resource.iterfind("d:relatedIdentifiers/d:relatedIdentifier", DCITE):
            assert related.get("relatedIdentifierType") and related.get("relationType")
        assert all(d.get("descriptionType") for d in resource.iterfind("d:descriptions/d:description", DCITE))
        assert resource.find("d:descriptions", DCITE) is not None
    funded = _oai_datacite(real("v4-stored-full.json"))
    assert funded.findtext("d:fundingReferences/d:fundingReference/d:awardNumber", namespaces=DCITE) == "101004728"
    assert funded.findtext("d:language", namespaces=DCITE) == "en"
    licence = [r.get("rightsURI") for r in funded.iterfind("d:rightsList/d:rights", DCITE)]
    assert "https://creativecommons.org/licenses/by/4.0/legalcode" in licence


def test_the_access_right_follows_the_files() -> None:
    without_link = real("v3-register-min.json")
    assert access_right(from_scicat(without_link)) == ("Restricted Access", "info:eu-repo/semantics/restrictedAccess")
    embargoed = real("v4-stored-full.json")
    embargoed["metadata"]["dates"].append({"date": "2999-01-01", "dateType": "Available"})
    embargoed["metadata"]["downloadLink"] = "https://example.org/files/"
    assert access_right(from_scicat(embargoed))[1] == "info:eu-repo/semantics/embargoedAccess"
    assert access_right(from_scicat(embargoed), today="2999-01-02")[1] == "info:eu-repo/semantics/openAccess"
    rights = _oai_datacite(without_link).xpath("d:rightsList/d:rights/@rightsURI", namespaces=DCITE)
    assert rights == ["info:eu-repo/semantics/restrictedAccess"]


OLD = REGISTERED_DOI.replace("/", "%252F")  # SciCat v3's `<publicURLprefix><DOI encoded twice>`


@pytest.mark.parametrize(
    "path",
    [
        f"/doi/{OLD}",
        f"/doi/{REGISTERED_DOI.replace('/', '%2F')}",
        f"/detail/{OLD}",
        f"/detail/{REGISTERED_DOI.replace('/', '%2F')}",
        f"/detail/{REGISTERED_DOI}",
        f"/detail/{REGISTERED_DOI.upper()}",
    ],
)
def test_old_landing_urls_answer_301_to_the_page(client: FlaskClient, registered: str, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 301 and response.headers["Location"].endswith(f"/doi/{registered}")
    assert client.get(response.headers["Location"]).status_code == 200


def test_an_old_url_of_an_unknown_doi_is_an_html_404(client: FlaskClient) -> None:
    for path in ("/detail/10.16907%252Fnothing", "/detail/not-a-doi", "/doi/10.16907%252Fnothing"):
        response = client.get(path)
        assert response.status_code == 404 and response.mimetype == "text/html"
