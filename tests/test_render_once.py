"""Each format is rendered once per record and comes out exactly as a fresh rendering would."""

from __future__ import annotations

from conftest import scicat_example
from lxml import etree

from catalogue_core.crosswalks import RenderContext, datacite_xml, render_all
from catalogue_core.scicat import from_scicat

NAMES = ["v3-registered-full.json", "v3-pending-minimal.json", "v4-public-minimal.json", "v4-registered-full.json"]
CONTEXT = RenderContext("https://doi.example.org", "PSI.DATA")


def test_records_rendered_in_turn_each_get_their_own_resource() -> None:
    records = [from_scicat(scicat_example(name)) for name in NAMES]
    for record in records + records[::-1]:
        rendered = render_all(record, CONTEXT)
        fresh = etree.tostring(datacite_xml.resource_element(record, CONTEXT), encoding="unicode")
        assert rendered["datacite"] == fresh
        payload = etree.fromstring(rendered["oai_datacite"]).find(f"{{{datacite_xml.OAI_DATACITE_NS}}}payload")
        assert etree.tostring(payload[0], encoding="unicode").split(">", 1)[1] == fresh.split(">", 1)[1]


def test_the_wrapped_resource_is_byte_for_byte_what_a_fresh_dump_gives() -> None:
    for name in NAMES:
        record = from_scicat(scicat_example(name))
        wrapped = datacite_xml.render_oai_datacite(record, CONTEXT)
        again = datacite_xml.render_oai_datacite(from_scicat(scicat_example(name)), CONTEXT)
        assert wrapped == again
        payload = etree.fromstring(wrapped).find(f"{{{datacite_xml.OAI_DATACITE_NS}}}payload")
        assert etree.tostring(payload[0], encoding="unicode") == etree.tostring(
            datacite_xml.resource_element(record, CONTEXT), encoding="unicode"
        )


def test_one_record_rendered_under_other_contexts_in_turn_gets_each_contexts_resource() -> None:
    record = from_scicat(scicat_example("v3-registered-full.json"))  # its thumbnail's link names the base URL
    other = RenderContext("https://pub.example.org/dmz", "OTHER")
    assert datacite_xml.render(record, CONTEXT) != datacite_xml.render(record, other)
    for context in [CONTEXT, other, RenderContext(CONTEXT.base_url, CONTEXT.datacentre_symbol), other, CONTEXT]:
        fresh = etree.tostring(datacite_xml.resource_element(record, context), encoding="unicode")
        assert datacite_xml.render(record, context) == fresh
