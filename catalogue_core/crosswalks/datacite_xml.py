"""DataCite kernel-4 XML, bare and in DataCite's OAI wrapper (oai_datacite 1.1)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from lxml import etree

from .. import datacite47, datacite47_plain
from ..datacite47_xml import resource_xml
from ..xmltext import leaf
from .links import Derived, derived, with_links

if TYPE_CHECKING:
    from ..record import PublishedRecord
    from . import RenderContext

OAI_DATACITE_NS = "http://schema.datacite.org/oai/oai-1.1/"
OAI_DATACITE_XSD = "http://schema.datacite.org/oai/oai-1.1/oai.xsd"
# A write renders <resource> twice (bare and wrapped), so each thread keeps the last record's
# serialised element (compared by identity) for the second.
_last = threading.local()
_XSI_DECLARATION = ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
# The wrapper as lxml wrote it when this format was an lxml tree: the xsi prefix declared on the root.
_WRAPPER = (
    f'<oai_datacite xmlns="{OAI_DATACITE_NS}"{_XSI_DECLARATION}'
    f' xsi:schemaLocation="{OAI_DATACITE_NS} {OAI_DATACITE_XSD}">'
    f"<schemaVersion>{datacite47.VERSION}</schemaVersion>"
)


def _resource(record: PublishedRecord, context: RenderContext) -> str:
    """Return the record's <resource> serialised, written once per record (and context)."""
    # One tuple in the thread's memo: a thread-local attribute read or written is ~750 instructions (callgrind),
    # and the three attributes it held were read five times and written three times a record (now twice and once).
    memo = getattr(_last, "memo", None)
    if memo is None or memo[0] is not record or (memo[1] is not context and memo[1] != context):
        memo = _last.memo = (record, context, _resource_xml(derived(record, context)))
    return str(memo[2])


def _resource_xml(links: Derived) -> str:
    # Nothing to escape or check: the plain writer, unless it leaves the metadata to the general one.
    document = datacite47_plain.resource_xml(links.metadata) if links.plain else None
    return resource_xml(links.metadata) if document is None else document


def resource_element(record: PublishedRecord, context: RenderContext) -> etree._Element:
    """Return the kernel-4.7 <resource> element of the record, with its links (the writer's reference)."""
    return datacite47.resource_element(with_links(record, context))


def render(record: PublishedRecord, context: RenderContext) -> str:
    """Return the <resource> element as a string without XML declaration."""
    return _resource(record, context)


def render_oai_datacite(record: PublishedRecord, context: RenderContext) -> str:
    """Return <oai_datacite> wrapping the resource, as OpenAIRE's data guidelines ask."""
    symbol = leaf("datacentreSymbol", context.datacentre_symbol or record.metadata["publisher"]["name"])
    # The wrapper declares the xsi prefix, so the nested resource leaves its own declaration out.
    resource = _resource(record, context).replace(_XSI_DECLARATION, "", 1)
    return f"{_WRAPPER}{symbol}<payload>{resource}</payload></oai_datacite>"
