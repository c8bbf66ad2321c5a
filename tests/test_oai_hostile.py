"""Every response, in every format, validates strictly over a corpus of hostile content."""

from __future__ import annotations

import re
from typing import Any

import oai_support
import pytest
from conftest import NS, Pusher, v4_document
from oai_support import OAIClient, oai_id, push_all

oai = oai_support.oai
FORMATS = ["oai_dc", "oai_datacite", "datacite", "panosc"]
CONTROL = "".join(chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0x80, 0x9F])
MARKUP = "<b>bold</b> & <script>alert('x')</script> ]]> <![CDATA[ y ]]> &amp; \"quoted\""
LONG = ("Neutron scattering of µ-structures, λ=1.8 Å. " * 250)[:10_000]
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def hostile_documents() -> list[dict[str, Any]]:
    """Return documents whose text tries to break XML output."""
    docs = [
        v4_document("10.5555/HOSTILE-CONTROL", title=f"Con{CONTROL}trol\ud800 chars\ufffe\uffff end"),
        v4_document("10.5555/HOSTILE-RTL", title="بيانات القياس \u200f\u202eשלום עולם\u202c (RTL)"),
        v4_document("10.5555/HOSTILE-CJK", title="中性子散乱データ 🧪 데이터 集合"),
        v4_document("10.5555/HOSTILE-MARKUP", title=MARKUP),
        v4_document("10.5555/HOSTILE-LONG", title="Long abstract"),
    ]
    docs[4]["abstract"] = LONG
    docs[3]["abstract"] = MARKUP + CONTROL
    docs[0]["metadata"]["creators"] = [{"name": f"Doe{CONTROL}, <Jane> & \u202eevil"}]
    docs[2]["metadata"]["publisher"] = {"name": "欧州核破砕中性子源 & <ESS>"}
    docs[1]["metadata"]["subjects"] = [{"subject": "فيزياء <physics>"}]
    return docs


@pytest.fixture
def hostile(pusher: Pusher) -> list[str]:
    """Push the hostile corpus; return its keys."""
    return push_all(pusher, hostile_documents())


def _titles(doc: Any) -> list[str]:
    titles = "//dc:title/text() | //dcite:title/text() | //panosc:name/text()"
    return doc.xpath(titles, namespaces={**NS, "panosc": "http://scicat.esss.se/panosc"})


def test_every_verb_validates(oai: OAIClient, hostile: list[str]) -> None:
    oai(verb="Identify")
    oai(verb="ListSets")
    oai(verb="ListMetadataFormats")
    oai(verb="ListIdentifiers", metadataPrefix="oai_dc")
    for key in hostile:
        oai(verb="ListMetadataFormats", identifier=oai_id(key))


@pytest.mark.parametrize("prefix", FORMATS)
def test_every_format_validates_and_keeps_the_text(oai: OAIClient, hostile: list[str], prefix: str) -> None:
    listed = oai(verb="ListRecords", metadataPrefix=prefix)
    assert len(listed.xpath("//oai:record/oai:metadata", namespaces=NS)) == len(hostile)
    for key in hostile:
        raw = oai.raw({"verb": "GetRecord", "identifier": oai_id(key), "metadataPrefix": prefix}).data
        assert not XML_ILLEGAL.search(raw.decode("utf-8"))
        doc = oai.validate(raw)
        text = "".join(doc.xpath("//oai:metadata//text()", namespaces=NS))
        if key.endswith("markup"):
            assert MARKUP in _titles(doc)
            assert not doc.xpath("//oai:metadata//*[local-name()='b' or local-name()='script']", namespaces=NS)
        if key.endswith("long"):
            assert LONG.strip() in text
        if key.endswith("cjk"):
            assert "中性子散乱データ 🧪 데이터 集合" in _titles(doc)
        if key.endswith("rtl"):
            assert any(t.startswith("بيانات القياس") and "שלום עולם" in t for t in _titles(doc))
        if key.endswith("control"):
            assert "Control chars end" in _titles(doc)
