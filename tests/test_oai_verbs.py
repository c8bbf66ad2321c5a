"""Identify, ListMetadataFormats, ListSets and GetRecord, each response valid against the schema."""

from __future__ import annotations

from typing import Any

import oai_support
import pytest
from conftest import NS, Pusher, v4_document
from flask import Flask
from oai_support import REPO_ID, Clock, OAIClient, corpus, oai_id, push_all

from catalogue_core.store import Entry
from oai_server import create_app
from oai_server.config import ConfigError
from oai_server.store import of as store_of

oai = oai_support.oai
clock = oai_support.clock
FORMATS = ["oai_dc", "oai_datacite", "datacite", "panosc"]
ROOT = {
    "oai_dc": "oai_dc:dc",
    "oai_datacite": "oai_datacite:oai_datacite",
    "datacite": "dcite:resource",
    "panosc": "panosc:panosctype",
}

REGISTERED = {"status": "registered"}  # a record OAI-PMH disseminates


def _text(doc: Any, path: str) -> str:
    return doc.xpath(f"string({path})", namespaces=NS)


def test_identify_describes_the_repository(oai: OAIClient, pusher: Pusher, clock: Clock) -> None:
    push_all(pusher, corpus(2))
    first = clock.stamp
    clock.advance(3600)
    push_all(pusher, corpus(1, prefix="10.5555/LATER-"))
    doc = oai(verb="Identify")
    identify = "oai:Identify"
    assert _text(doc, f"{identify}/oai:repositoryName") == "dmzpub"
    assert _text(doc, f"{identify}/oai:baseURL") == "https://doi.example.org/oai"
    assert _text(doc, f"{identify}/oai:protocolVersion") == "2.0"
    assert _text(doc, f"{identify}/oai:adminEmail") == f"oai-admin@{REPO_ID}"
    assert _text(doc, f"{identify}/oai:earliestDatestamp") == first
    assert _text(doc, f"{identify}/oai:deletedRecord") == "persistent"
    assert _text(doc, f"{identify}/oai:granularity") == "YYYY-MM-DDThh:mm:ssZ"
    assert doc.xpath(f"{identify}/oai:compression/text()", namespaces=NS) == ["gzip", "deflate"]
    description = doc.xpath(f"{identify}/oai:description/oai_id:oai-identifier", namespaces=NS)
    assert len(description) == 1
    assert _text(description[0], "oai_id:repositoryIdentifier") == REPO_ID
    assert _text(description[0], "oai_id:sampleIdentifier").startswith(f"oai:{REPO_ID}:10.")


def test_earliest_datestamp_is_a_lower_bound_even_when_empty(oai: OAIClient, pusher: Pusher, clock: Clock) -> None:
    earliest = _text(oai(verb="Identify"), "oai:Identify/oai:earliestDatestamp")
    clock.advance(10)
    push_all(pusher, corpus(1))
    listed = oai(verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": earliest})
    assert len(listed.xpath("//oai:header", namespaces=NS)) == 1


@pytest.mark.parametrize(
    ("settings", "name", "identifier", "email"),
    [
        ({"DMZPUB_REPOSITORY_NAME": "ESS Publications", "DMZPUB_REPOSITORY_ID": "data.ess.eu"}, "ESS Publications",
         "data.ess.eu", "oai-admin@data.ess.eu"),
        ({"DMZPUB_ADMIN_EMAIL": "oai@ess.eu"}, "dmzpub", REPO_ID, "oai@ess.eu"),
        ({"DMZPUB_BASE_URL": "http://127.0.0.1:8080"}, "dmzpub", "dmzpub.localhost", "oai-admin@dmzpub.localhost"),
    ],
)  # fmt: skip
def test_identify_follows_the_settings(
    app_config: dict[str, Any], xsd: Any, settings: dict[str, str], name: str, identifier: str, email: str
) -> None:
    app = create_app({**app_config, **settings})
    doc = OAIClient(app.test_client(), xsd)(verb="Identify")
    assert _text(doc, "oai:Identify/oai:repositoryName") == name
    assert _text(doc, "oai:Identify/oai:adminEmail") == email
    assert _text(doc, "//oai_id:repositoryIdentifier") == identifier
    store_of(app).close()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DMZPUB_REPOSITORY_ID", "127.0.0.1"),
        ("DMZPUB_REPOSITORY_ID", "nodots"),
        ("DMZPUB_ADMIN_EMAIL", "not-an-address"),
        ("DMZPUB_OAI_PAGE_SIZE", "0"),
        ("DMZPUB_OAI_PAGE_SIZE", "1001"),
        ("DMZPUB_OAI_PAGE_SIZE", "ten"),
        ("DMZPUB_SECRET_KEY", "short"),
    ],
)
def test_bad_settings_stop_the_app_naming_the_variable(app_config: dict[str, Any], name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        create_app({**app_config, name: value})


def test_list_metadata_formats(oai: OAIClient, pusher: Pusher) -> None:
    (key,) = push_all(pusher, corpus(1))
    for args in ({}, {"identifier": oai_id(key)}):
        doc = oai(verb="ListMetadataFormats", **args)
        assert doc.xpath("//oai:metadataPrefix/text()", namespaces=NS) == FORMATS
        assert doc.xpath("//oai:metadataNamespace/text()", namespaces=NS) == [
            NS["oai_dc"],
            NS["oai_datacite"],
            NS["dcite"],
            NS["panosc"],
        ]


def test_list_metadata_formats_errors(oai: OAIClient, app: Flask, pusher: Pusher) -> None:
    assert oai.error(verb="ListMetadataFormats", identifier=oai_id("10.5555/none")) == "idDoesNotExist"
    assert oai.error(verb="ListMetadataFormats", identifier="oai:other.org:10.5555/x") == "idDoesNotExist"
    bare = Entry(
        "10.5555/bare",
        "10.5555/BARE",
        "sha256:0",
        {},
        REGISTERED,
        {},
        rendered={},
        sets=("openaire_data",),
        status="registered",
    )
    store_of(app).store.put([bare])
    assert oai.error(verb="ListMetadataFormats", identifier=oai_id("10.5555/bare")) == "noMetadataFormats"
    assert oai.error(verb="GetRecord", identifier=oai_id("10.5555/bare"), metadataPrefix="oai_dc") == (
        "cannotDisseminateFormat"
    )


def test_list_sets_names_every_set_with_its_ancestors(oai: OAIClient, pusher: Pusher) -> None:
    assert oai.error(verb="ListSets") == "noSetHierarchy"
    push_all(pusher, corpus(3))
    doc = oai(verb="ListSets")
    names = dict(zip(*(doc.xpath(f"//oai:{e}/text()", namespaces=NS) for e in ("setSpec", "setName")), strict=True))
    assert set(names) == {
        "openaire_data",
        "year",
        "year:2020",
        "year:2021",
        "type",
        "type:dataset",
        "type:dataset:raw",
        "type:dataset:derived",
        "type:software",
    }
    assert names["year:2021"] == "Publication year 2021"
    assert names["type:dataset:raw"] == "Resource type dataset / raw"
    assert "OpenAIRE" in names["openaire_data"]
    assert oai.error(verb="ListSets", resumptionToken="anything") == "badResumptionToken"


@pytest.mark.parametrize("prefix", FORMATS)
def test_get_record_in_every_format(oai: OAIClient, pusher: Pusher, clock: Clock, prefix: str) -> None:
    push_all(pusher, [v4_document("10.5555/Get-1", title="Getting it", publicationYear=2022)])
    doc = oai(verb="GetRecord", identifier=oai_id("10.5555/get-1"), metadataPrefix=prefix)
    record = doc.xpath("oai:GetRecord/oai:record", namespaces=NS)[0]
    assert _text(record, "oai:header/oai:identifier") == oai_id("10.5555/get-1")
    assert _text(record, "oai:header/oai:datestamp") == clock.stamp
    assert "year:2022" in record.xpath("oai:header/oai:setSpec/text()", namespaces=NS)
    assert len(record.xpath(f"oai:metadata/{ROOT[prefix]}", namespaces=NS)) == 1
    assert "Getting it" in record.xpath("string(oai:metadata)", namespaces=NS)


def test_get_record_accepts_the_doi_in_any_case(oai: OAIClient, pusher: Pusher) -> None:
    push_all(pusher, [v4_document("10.5555/Case-1")])
    doc = oai(verb="GetRecord", identifier=oai_id("10.5555/CASE-1"), metadataPrefix="oai_dc")
    assert _text(doc, "//oai:header/oai:identifier") == oai_id("10.5555/case-1")


@pytest.mark.parametrize("suffix", ["a#b[c]", "50%<x>", "ü&é", "a b"])
def test_unusual_dois_get_encoded_identifiers_that_round_trip(oai: OAIClient, pusher: Pusher, suffix: str) -> None:
    doi = "10.5555/" + suffix.replace(" ", "_")
    push_all(pusher, [v4_document(doi)])
    identifier = oai.identifiers(metadataPrefix="oai_dc")[0]
    assert identifier.startswith(f"oai:{REPO_ID}:10.5555/")
    doc = oai(verb="GetRecord", identifier=identifier, metadataPrefix="datacite")
    assert _text(doc, "//oai:header/oai:identifier") == identifier
    assert doi.upper() in _text(doc, "//dcite:identifier").upper()


def test_get_record_errors(oai: OAIClient, pusher: Pusher) -> None:
    (key,) = push_all(pusher, corpus(1))
    assert oai.error(verb="GetRecord", identifier=oai_id(key), metadataPrefix="marc21") == "cannotDisseminateFormat"
    assert oai.error(verb="GetRecord", identifier=oai_id("10.5555/x"), metadataPrefix="oai_dc") == "idDoesNotExist"
    assert oai.error(verb="GetRecord", identifier=f"oai:{REPO_ID}:", metadataPrefix="oai_dc") == "idDoesNotExist"
    elsewhere = "oai:elsewhere.org:" + key
    assert oai.error(verb="GetRecord", identifier=elsewhere, metadataPrefix="oai_dc") == "idDoesNotExist"
    assert oai.error(verb="GetRecord", identifier="not-a-doi", metadataPrefix="oai_dc") == "idDoesNotExist"


@pytest.mark.parametrize("prefix", FORMATS)
def test_withdrawn_record_is_a_deleted_header_stamped_at_withdrawal(
    oai: OAIClient, pusher: Pusher, clock: Clock, prefix: str
) -> None:
    (key,) = push_all(pusher, corpus(1))
    withdrawn = clock.advance(120)
    assert pusher.withdraw(key, "retracted").status_code in (200, 204)
    doc = oai(verb="GetRecord", identifier=oai_id(key), metadataPrefix=prefix)
    header = doc.xpath("//oai:record/oai:header", namespaces=NS)[0]
    assert header.get("status") == "deleted"
    assert _text(header, "oai:datestamp") == withdrawn
    assert not doc.xpath("//oai:record/oai:metadata", namespaces=NS)
    formats = oai(verb="ListMetadataFormats", identifier=oai_id(key))
    assert formats.xpath("//oai:metadataPrefix/text()", namespaces=NS) == FORMATS


def test_set_rules_are_configurable(app_config: dict[str, Any], xsd: Any) -> None:
    app = create_app({**app_config, "DMZPUB_SET_RULES": "publisher"})
    client = app.test_client()
    push_all(Pusher(client), corpus(2))
    doc = OAIClient(client, xsd)(verb="ListSets")
    specs = doc.xpath("//oai:setSpec/text()", namespaces=NS)
    assert specs == ["openaire_data", "publisher", "publisher:ess"]
    assert doc.xpath("//oai:setName/text()", namespaces=NS)[2] == "Publisher ess"
    store_of(app).close()


@pytest.mark.parametrize(
    "query",
    [
        "verb=GetRecord&identifier=%FF%FE&metadataPrefix=oai_dc",
        "verb=ListRecords&metadataPrefix=oai_dc&from=%00",
        "verb=ListSets&resumptionToken=%E2%80%AE%F0%9F%A7%AA",
        "verb=Identify&%FF=1",
        "verb=%FF",
    ],
)
def test_undecodable_or_odd_bytes_in_the_query_are_protocol_errors(oai: OAIClient, query: str) -> None:
    response = oai.client.get(f"/oai?{query}")
    assert response.status_code == 200
    assert oai.validate(response.data).xpath("oai:error/@code", namespaces=NS)
