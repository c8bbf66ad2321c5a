"""DataCite kernel-4 XML, bare and in DataCite's OAI wrapper (oai_datacite 1.1)."""

from __future__ import annotations

import copy
import threading
from typing import TYPE_CHECKING

from lxml import etree

from .. import datacite47
from .links import with_links

if TYPE_CHECKING:
    from ..record import PublishedRecord
    from . import RenderContext

OAI_DATACITE_NS = "http://schema.datacite.org/oai/oai-1.1/"
OAI_DATACITE_XSD = "http://schema.datacite.org/oai/oai-1.1/oai.xsd"
# A write renders <resource> twice (bare and wrapped) and dumping it is the dearest step of a write,
# so each thread keeps the last record's element (compared by identity) and hands out copies.
_last = threading.local()


def _resource(record: PublishedRecord, context: RenderContext) -> etree._Element:
    """Return a fresh copy of the record's <resource>, dumped once per record (and context)."""
    if getattr(_last, "record", None) is not record or getattr(_last, "context", None) != context:
        _last.element = resource_element(record, context)
        _last.record, _last.context = record, context
    return copy.deepcopy(_last.element)


def resource_element(record: PublishedRecord, context: RenderContext) -> etree._Element:
    """Return the kernel-4.7 <resource> element of the record, with its links."""
    return datacite47.resource_element(with_links(record, context))


def render(record: PublishedRecord, context: RenderContext) -> str:
    """Return the <resource> element as a string without XML declaration."""
    return etree.tostring(_resource(record, context), encoding="unicode")


def render_oai_datacite(record: PublishedRecord, context: RenderContext) -> str:
    """Return <oai_datacite> wrapping the resource, as OpenAIRE's data guidelines ask."""
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    root = etree.Element(f"{{{OAI_DATACITE_NS}}}oai_datacite", nsmap={None: OAI_DATACITE_NS, "xsi": xsi})
    root.set(f"{{{xsi}}}schemaLocation", f"{OAI_DATACITE_NS} {OAI_DATACITE_XSD}")
    etree.SubElement(root, f"{{{OAI_DATACITE_NS}}}schemaVersion").text = datacite47.VERSION
    etree.SubElement(root, f"{{{OAI_DATACITE_NS}}}datacentreSymbol").text = (
        context.datacentre_symbol or record.metadata["publisher"]["name"]
    )
    payload = etree.SubElement(root, f"{{{OAI_DATACITE_NS}}}payload")
    payload.append(_resource(record, context))
    return etree.tostring(root, encoding="unicode")
