"""Crosswalks render XSD-valid DataCite kernel-4 XML, oai_datacite and oai_dc."""

from __future__ import annotations

import pytest
from conftest import NS, SHARED, scicat_example, v4_document
from lxml import etree

from catalogue_core.crosswalks import RenderContext, render_all
from catalogue_core.record import PublishedRecord
from catalogue_core.scicat import from_scicat

EXAMPLES = ["v3-registered-full.json", "v3-pending-minimal.json", "v4-public-minimal.json", "v4-registered-full.json"]
CONTEXT = RenderContext("https://doi.example.org", "PSI.DATA")


def hostile() -> PublishedRecord:
    title = "<script>alert(1)</script> & \x01 مجموعة بيانات 数据集 \u202etxet\u202c"
    return from_scicat(
        v4_document(
            "10.1234/Hostile-1",
            title,
            descriptions=[{"description": "x\x0b" * 5000, "descriptionType": "Other"}],
            subjects=[{"subject": "]]> <![CDATA[ \ud800"}],
        )
    )


@pytest.fixture(scope="module")
def kernel47() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SHARED / "schemas" / "datacite-kernel-4" / "metadata.xsd")))


@pytest.mark.parametrize("name", EXAMPLES)
@pytest.mark.parametrize("prefix", ["oai_dc", "datacite", "oai_datacite"])
def test_every_format_is_xsd_valid(name: str, prefix: str, xsd: etree.XMLSchema) -> None:
    xml = render_all(from_scicat(scicat_example(name)), CONTEXT)[prefix]
    assert xsd.validate(etree.fromstring(xml)), xsd.error_log


@pytest.mark.parametrize("prefix", ["oai_dc", "datacite", "oai_datacite"])
def test_hostile_content_stays_valid(prefix: str, xsd: etree.XMLSchema) -> None:
    xml = render_all(hostile(), CONTEXT)[prefix]
    root = etree.fromstring(xml)
    assert xsd.validate(root), xsd.error_log
    assert "<script>" not in xml and "&lt;script&gt;" in xml


def test_datacite_validates_against_kernel_47(kernel47: etree.XMLSchema) -> None:
    for name in EXAMPLES:
        root = etree.fromstring(render_all(from_scicat(scicat_example(name)), CONTEXT)["datacite"])
        assert kernel47.validate(root), kernel47.error_log


def test_datacite_carries_the_record() -> None:
    root = etree.fromstring(render_all(from_scicat(scicat_example("v4-registered-full.json")), CONTEXT)["datacite"])
    assert root.xpath("string(dcite:identifier[@identifierType='DOI'])", namespaces=NS) == "10.17199/ESS-2025-00042"
    assert root.xpath("dcite:creators/dcite:creator/dcite:creatorName/text()", namespaces=NS) == [
        "Nilsson, Karin",
        "ESS Data Management",
    ]
    assert root.xpath("string(//dcite:rights/@rightsURI)", namespaces=NS).startswith("https://creativecommons.org")


def test_oai_datacite_wraps_the_resource() -> None:
    root = etree.fromstring(render_all(from_scicat(scicat_example("v3-pending-minimal.json")), CONTEXT)["oai_datacite"])
    assert root.xpath("string(oai_datacite:datacentreSymbol)", namespaces=NS) == "PSI.DATA"
    assert root.xpath("count(oai_datacite:payload/dcite:resource)", namespaces=NS) == 1


def test_oai_dc_fields() -> None:
    root = etree.fromstring(render_all(from_scicat(scicat_example("v3-registered-full.json")), CONTEXT)["oai_dc"])
    assert root.xpath("dc:creator/text()", namespaces=NS) == ["Doe, Jane", "Smith, John"]
    assert root.xpath("dc:identifier/text()", namespaces=NS) == [
        "https://doi.org/10.16907/05a50450-767f-421d-9832-342b57c201af",
        "https://doi.example.org/doi/10.16907/05a50450-767f-421d-9832-342b57c201af",
        "https://doi.psi.ch/detail/10.16907%2F05a50450-767f-421d-9832-342b57c201af",  # SciCat's own page (v3 url)
    ]
    assert "https://doi.org/10.1000/xyz123" in root.xpath("dc:relation/text()", namespaces=NS)
    assert root.xpath("dc:type/text()", namespaces=NS) == ["Dataset", "raw"]
    assert root.xpath("dc:date/text()", namespaces=NS) == ["2021", "2021-01-16"]
