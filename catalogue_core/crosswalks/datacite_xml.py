"""DataCite kernel-4 XML, bare and in DataCite's OAI wrapper (oai_datacite 1.1)."""

from __future__ import annotations

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
# so each thread keeps the last record's serialised element (compared by identity) for the second.
_last = threading.local()
_XSI_DECLARATION = ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'


def _resource(record: PublishedRecord, context: RenderContext) -> str:
    """Return the record's <resource> serialised, dumped once per record (and context)."""
    if getattr(_last, "record", None) is not record or getattr(_last, "context", None) != context:
        _last.text = etree.tostring(resource_element(record, context), encoding="unicode")
        _last.record, _last.context = record, context
    return str(_last.text)


def resource_element(record: PublishedRecord, context: RenderContext) -> etree._Element:
    """Return the kernel-4.7 <resource> element of the record, with its links."""
    return datacite47.resource_element(with_links(record, context))


def render(record: PublishedRecord, context: RenderContext) -> str:
    """Return the <resource> element as a string without XML declaration."""
    return _resource(record, context)


def render_oai_datacite(record: PublishedRecord, context: RenderContext) -> str:
    """Return <oai_datacite> wrapping the resource, as OpenAIRE's data guidelines ask."""
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    root = etree.Element(f"{{{OAI_DATACITE_NS}}}oai_datacite", nsmap={None: OAI_DATACITE_NS, "xsi": xsi})
    root.set(f"{{{xsi}}}schemaLocation", f"{OAI_DATACITE_NS} {OAI_DATACITE_XSD}")
    etree.SubElement(root, f"{{{OAI_DATACITE_NS}}}schemaVersion").text = datacite47.VERSION
    etree.SubElement(root, f"{{{OAI_DATACITE_NS}}}datacentreSymbol").text = (
        context.datacentre_symbol or record.metadata["publisher"]["name"]
    )
    etree.SubElement(root, f"{{{OAI_DATACITE_NS}}}payload")
    # The bare resource's text is spliced in, not its element copied and dumped again: the same bytes
    # lxml writes for the nested element, whose xsi prefix the wrapper declares (its first attribute).
    resource = _resource(record, context).replace(_XSI_DECLARATION, "", 1)
    return etree.tostring(root, encoding="unicode").replace("<payload/>", f"<payload>{resource}</payload>", 1)
