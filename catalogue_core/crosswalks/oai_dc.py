"""Unqualified Dublin Core (oai_dc), following OpenAIRE's guidelines for data archives."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..urls import doi_url
from ..xmltext import root, string, text
from .links import derived

if TYPE_CHECKING:
    from ..record import PublishedRecord
    from . import RenderContext

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_DC_XSD = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
# Written straight to text (lxml's bytes: tests/test_direct_writers.py), not built as a tree: it is cheaper.
_OPEN = (
    f'xmlns:oai_dc="{OAI_DC_NS}" xmlns:dc="{DC_NS}" xmlns:xsi="{XSI_NS}" xsi:schemaLocation="{OAI_DC_NS} {OAI_DC_XSD}"'
)


def values(record: PublishedRecord, context: RenderContext) -> list[tuple[str, str]]:
    """Return the record's Dublin Core elements, (name, text), in document order."""
    meta, links = record.metadata, derived(record, context)
    out: list[tuple[str, str]] = [("title", t["title"]) for t in meta.get("titles", [])]
    out += [("creator", c["name"]) for c in meta.get("creators", [])]
    out += [("subject", s["subject"]) for s in meta.get("subjects", []) if s.get("subject")]
    out += [("description", d["description"]) for d in meta.get("descriptions", [])]
    out.append(("publisher", meta["publisher"]["name"]))
    out += [("contributor", c["name"]) for c in meta.get("contributors", []) if c.get("name")]
    out.append(("date", str(meta["publicationYear"])))
    out += [("date", d["date"]) for d in meta.get("dates", []) if d.get("dateType") == "Issued"]
    types = meta["types"]
    out.append(("type", types["resourceTypeGeneral"]))
    if types.get("resourceType"):
        out.append(("type", types["resourceType"]))
    out += [("format", f) for f in meta.get("formats", [])]
    out += [("format", s) for s in meta.get("sizes", [])]
    out.append(("identifier", links.doi_url))
    out.append(("identifier", links.landing_url))
    if url := links.catalogue_url:
        out.append(("identifier", url))
    if image := links.thumbnail_url:
        out.append(("relation", image))
    out += [("relation", _relation(r)) for r in meta.get("relatedIdentifiers", [])]
    if meta.get("language"):
        out.append(("language", meta["language"]))
    for rights in meta.get("rightsList", []):
        out += [("rights", v) for v in (rights.get("rights"), rights.get("rightsUri")) if v]
    out.append(("rights", links.access[1]))
    out += [("coverage", g["geoLocationPlace"]) for g in meta.get("geoLocations", []) if g.get("geoLocationPlace")]
    return out


def _relation(related: dict) -> str:
    value = related["relatedIdentifier"]
    if related.get("relatedIdentifierType") == "DOI":
        return doi_url(value)
    if related.get("relatedIdentifierType") == "Handle":
        return "https://hdl.handle.net/" + value
    return value


def render(record: PublishedRecord, context: RenderContext) -> str:
    """Return the <oai_dc:dc> element as a string without XML declaration."""
    found = values(record, context)
    if derived(record, context).plain:
        try:  # nothing to escape or check (links.Derived.plain): the type check alone; odd values go below
            return f"<oai_dc:dc {_OPEN}>{''.join([f'<dc:{n}>{string(v)}</dc:{n}>' for n, v in found])}</oai_dc:dc>"
        except TypeError:
            pass
    # element() written out: no attributes here, and ~25 elements per record.
    parts = [f"<dc:{name}/>" if value is None else f"<dc:{name}>{text(value)}</dc:{name}>" for name, value in found]
    return root("oai_dc:dc", _OPEN, parts)
