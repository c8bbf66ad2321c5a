"""One registry of metadata formats: one entry makes a format rendered at write time and listed by OAI-PMH."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import NS, Pusher, v4_document
from flask.testing import FlaskClient
from lxml import etree

from catalogue_core.crosswalks import FORMATS, MetadataFormat

TEST_NS = "urn:example:title-only"


def _title_only(record: object, context: object) -> str:
    return f'<t:title xmlns:t="{TEST_NS}">{record.title}</t:title>'  # type: ignore[attr-defined]


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_one_registry_entry_is_rendered_and_listed(
    monkeypatch: pytest.MonkeyPatch, client: FlaskClient, pusher: Pusher
) -> None:
    entry = MetadataFormat("title_only", "urn:example:title-only.xsd", TEST_NS, _title_only)
    monkeypatch.setitem(FORMATS, entry.prefix, entry)
    assert pusher.put(v4_document("10.5555/reg-1", "Registered once")).status_code == 201
    listed = etree.fromstring(client.get("/oai?verb=ListMetadataFormats").data)
    assert listed.xpath("//oai:metadataPrefix/text()", namespaces=NS) == list(FORMATS)
    assert TEST_NS in listed.xpath("//oai:metadataNamespace/text()", namespaces=NS)
    got = client.get(
        "/oai",
        query_string={
            "verb": "GetRecord",
            "metadataPrefix": "title_only",
            "identifier": "oai:doi.example.org:10.5555/reg-1",
        },
    )
    title = etree.fromstring(got.data).xpath("//t:title/text()", namespaces={"t": TEST_NS})
    assert title == ["Registered once"]


def test_every_format_has_a_schema_a_namespace_and_a_renderer() -> None:
    for prefix, entry in FORMATS.items():
        assert dataclasses.asdict(entry)["prefix"] == prefix and entry.schema and entry.namespace
        assert callable(entry.render)
