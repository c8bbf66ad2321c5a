"""The formats written straight to text are byte for byte what lxml wrote, over every record we have."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import SHARED, v4_document
from datacite_examples import all_examples
from landing_data import hostile_document, rich_document
from lxml import etree
from oai_support import corpus

from catalogue_core import datacite47
from catalogue_core.crosswalks import PANOSC_SCHEMA_PATH, RenderContext, datacite_xml, oai_dc, panosc
from catalogue_core.crosswalks.links import with_links
from catalogue_core.datacite47_xml import resource_xml
from catalogue_core.errors import InvalidRecord, NotPublishable
from catalogue_core.record import PublishedRecord
from catalogue_core.scicat import from_scicat

CONTEXTS = [RenderContext("https://doi.example.org", "PSI.DATA"), RenderContext('https://x.example/a&b"<', "")]
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ODD = "a & b < c > d \"e\" 'f' \t tab \n line \r return ]]> ü 数据 \u202e"


def _documents() -> Iterator[tuple[str, Any]]:
    """Yield every SciCat document of ../shared that normalises, and the tests' own corpora."""
    for folder in ("scicat", "scicat-real"):
        for path in sorted((SHARED / "examples" / folder).glob("*.json")):
            loaded = json.loads(path.read_text(encoding="utf-8"))
            for i, document in enumerate(loaded if isinstance(loaded, list) else [loaded]):
                yield f"{path.name}[{i}]", {**document, "status": "registered"} if "status" in document else document
    for i, document in enumerate(corpus(12)):
        yield f"corpus[{i}]", document
    yield "rich", rich_document()
    yield "hostile", hostile_document()
    odd = {"subjects": [{"subject": ODD, "lang": "de"}], "language": "en-GB"}
    descriptions = [{"description": ODD, "descriptionType": "Other"}]
    yield "odd", v4_document("10.1234/ODD-1", ODD, descriptions=descriptions, **odd)


def records() -> list[tuple[str, PublishedRecord]]:
    """Return every record the corpora normalise to."""
    out = []
    for name, document in _documents():
        try:
            out.append((name, from_scicat(copy.deepcopy(document))))
        except (InvalidRecord, NotPublishable):  # refused (a private record, a resync without DOI): nothing to render
            continue
    return out


RECORDS = records()


def _edge_metadata() -> dict[str, Any]:
    """Return DataCite JSON that the normaliser never produces: empty and missing texts, odd characters."""
    meta = copy.deepcopy(RECORDS[0][1].metadata)
    meta["titles"] = [{"title": ODD, "lang": "en", "type": "Other", "titleType": "Subtitle"}, {"title": ""}]
    meta["types"] = {"resourceTypeGeneral": "Dataset"}
    meta["sizes"] = ["", ODD]
    meta["rightsList"] = [{"rightsUri": ODD}, {"rights": ""}]
    meta["relatedItems"] = [{"relatedItemType": "Book", "relationType": "IsCitedBy", "relationTypeInformation": ODD}]
    meta["geoLocations"] = [{}, {"geoLocationPoint": {"pointLongitude": 1.5, "pointLatitude": -2}}]
    meta["fundingReferences"] = [{"funderName": ""}]
    return meta


def metadata_corpus() -> list[tuple[str, dict[str, Any]]]:
    """Return the DataCite JSON of every record with its links, DataCite's own examples, and the edge cases."""
    out = [(f"{name}@{i}", with_links(r, c)) for name, r in RECORDS for i, c in enumerate(CONTEXTS)]
    return out + list(all_examples().items()) + [("edge", _edge_metadata())]


def _outcome(write: Callable[[], str]) -> str:
    """Return what a writer gives, or the kind of error it raises (both writers must fail alike)."""
    try:
        return write()
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        return f"raises {type(error).__name__}"


def test_the_corpus_covers_every_kind_of_record() -> None:
    names = {name.split("[")[0] for name, _ in RECORDS}
    assert {"v3-register-body.json", "migrated.json", "v4-registered-full.json", "corpus", "hostile", "odd"} <= names
    assert len(all_examples()) >= 30


@pytest.mark.parametrize(("name", "metadata"), metadata_corpus(), ids=lambda v: v if isinstance(v, str) else "")
def test_the_resource_is_byte_identical_to_the_datacite_package_dump(name: str, metadata: dict[str, Any]) -> None:
    expected = _outcome(lambda: etree.tostring(datacite47.resource_element(metadata), encoding="unicode"))
    assert _outcome(lambda: resource_xml(metadata)) == expected
    assert expected.startswith("<resource") or name == "edge"


def test_values_lxml_refuses_are_refused_alike() -> None:
    meta = copy.deepcopy(RECORDS[0][1].metadata)
    for bad in ({"publicationYear": 2020}, {"titles": [{"title": "a\x00b"}]}, {"language": None, "version": 3}):
        case = {**meta, **bad}
        expected = _outcome(lambda case=case: etree.tostring(datacite47.resource_element(case), encoding="unicode"))
        assert expected.startswith("raises")
        assert _outcome(lambda case=case: resource_xml(case)) == expected


def _lxml_flat(tag: str, nsmap: dict[str, str], location: str, values: list[tuple[str, str]]) -> str:
    """Return a flat format as it was built before: an lxml root with one child per value."""
    namespace = nsmap[tag.split(":")[0]]
    root = etree.Element(f"{{{namespace}}}{tag.split(':')[1]}", nsmap=nsmap)
    root.set(f"{{{XSI}}}schemaLocation", location)
    element_ns = nsmap.get("dc", namespace)
    for name, value in values:
        etree.SubElement(root, f"{{{element_ns}}}{name}").text = value
    return etree.tostring(root, encoding="unicode")


@pytest.mark.parametrize("context", CONTEXTS)
def test_oai_dc_and_panosc_are_byte_identical_to_lxml(context: RenderContext) -> None:
    dc_map = {"oai_dc": oai_dc.OAI_DC_NS, "dc": oai_dc.DC_NS, "xsi": XSI}
    panosc_location = f"{panosc.PANOSC_NS} {context.base_url.rstrip('/')}{PANOSC_SCHEMA_PATH}"
    for _, record in RECORDS:
        dc_values = oai_dc.values(record, context)
        dc_location = f"{oai_dc.OAI_DC_NS} {oai_dc.OAI_DC_XSD}"
        assert oai_dc.render(record, context) == _lxml_flat("oai_dc:dc", dc_map, dc_location, dc_values)
        panosc_map = {"panosc": panosc.PANOSC_NS, "xsi": XSI}
        expected = _lxml_flat("panosc:panosctype", panosc_map, panosc_location, panosc.values(record, context))
        assert panosc.render(record, context) == expected


@pytest.mark.parametrize("context", CONTEXTS)
def test_oai_datacite_is_byte_identical_to_the_lxml_wrapper(context: RenderContext) -> None:
    ns = datacite_xml.OAI_DATACITE_NS
    for _, record in RECORDS:
        root = etree.Element(f"{{{ns}}}oai_datacite", nsmap={None: ns, "xsi": XSI})
        root.set(f"{{{XSI}}}schemaLocation", f"{ns} {datacite_xml.OAI_DATACITE_XSD}")
        etree.SubElement(root, f"{{{ns}}}schemaVersion").text = datacite47.VERSION
        symbol = context.datacentre_symbol or record.metadata["publisher"]["name"]
        etree.SubElement(root, f"{{{ns}}}datacentreSymbol").text = symbol
        etree.SubElement(root, f"{{{ns}}}payload").append(datacite_xml.resource_element(record, context))
        assert datacite_xml.render_oai_datacite(record, context) == etree.tostring(root, encoding="unicode")
