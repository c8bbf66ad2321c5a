"""Unqualified Dublin Core (oai_dc), following OpenAIRE's guidelines for data archives."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..urls import doi_url
from ..xmltext import root, text
from .links import Derived, derived

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
    return [(name, value) for name, texts in groups(record, context) for value in texts]


def groups(record: PublishedRecord, context: RenderContext) -> list[tuple[str, list[str]]]:
    """Return the record's Dublin Core elements in document order, each run of one name together (maybe none)."""
    return _groups(record.metadata, derived(record, context))


def _groups(meta: dict[str, Any], links: Derived) -> list[tuple[str, list[str]]]:
    return [
        ("title", [t["title"] for t in meta.get("titles", [])]),
        ("creator", [c["name"] for c in meta.get("creators", [])]),
        ("subject", [s["subject"] for s in meta.get("subjects", []) if s.get("subject")]),
        ("description", [d["description"] for d in meta.get("descriptions", [])]),
        ("publisher", [meta["publisher"]["name"]]),
        ("contributor", [c["name"] for c in meta.get("contributors", []) if c.get("name")]),
        (
            "date",
            [
                str(meta["publicationYear"]),
                *[d["date"] for d in meta.get("dates", []) if d.get("dateType") == "Issued"],
            ],
        ),
        ("type", _types(meta["types"])),
        ("format", [*meta.get("formats", []), *meta.get("sizes", [])]),
        ("identifier", [links.doi_url, links.landing_url, *filter(None, [links.catalogue_url])]),
        (
            "relation",
            [*filter(None, [links.thumbnail_url]), *[_relation(r) for r in meta.get("relatedIdentifiers", [])]],
        ),
        ("language", [meta["language"]] if meta.get("language") else []),
        ("rights", [*_rights(meta), links.access[1]]),
        ("coverage", [g["geoLocationPlace"] for g in meta.get("geoLocations", []) if g.get("geoLocationPlace")]),
    ]


def _types(types: dict[str, Any]) -> list[str]:
    general = types["resourceTypeGeneral"]
    return [general, types["resourceType"]] if types.get("resourceType") else [general]


def _rights(meta: dict[str, Any]) -> list[str]:
    return [v for rights in meta.get("rightsList", []) for v in (rights.get("rights"), rights.get("rightsUri")) if v]


_NAMES = "title creator subject description publisher contributor date type format identifier relation language rights"
# Per name: the opening tag, what goes between two values of a run, the closing tag.
_TAGS = {n: (f"<dc:{n}>", f"</dc:{n}><dc:{n}>", f"</dc:{n}>") for n in [*_NAMES.split(), "coverage"]}
_RUNS = tuple(_TAGS.values())  # in the order groups() gives its runs: zipped with them, no look-up per run


def _relation(related: dict) -> str:
    value = related["relatedIdentifier"]
    if related.get("relatedIdentifierType") == "DOI":
        return doi_url(value)
    if related.get("relatedIdentifierType") == "Handle":
        return "https://hdl.handle.net/" + value
    return value


def render(record: PublishedRecord, context: RenderContext) -> str:
    """Return the <oai_dc:dc> element as a string without XML declaration."""
    links = derived(record, context)  # once: a second look-up of the memo was ~2K instructions (callgrind)
    runs = _groups(record.metadata, links)
    if links.plain:
        # Nothing to escape or check (links.Derived.plain): each run written by one join, which also refuses
        # what is not a string (odd values go below).
        try:
            body = "".join(
                [
                    f"{o}{between.join(texts)}{c}"
                    for (o, between, c), (_, texts) in zip(_RUNS, runs, strict=True)
                    if texts
                ]
            )
            return f"<oai_dc:dc {_OPEN}>{body}</oai_dc:dc>"
        except TypeError:
            pass
    # element() written out: no attributes here, and ~25 elements per record.
    found = [(name, value) for name, texts in runs for value in texts]
    parts = [f"<dc:{name}/>" if value is None else f"<dc:{name}>{text(value)}</dc:{name}>" for name, value in found]
    return root("oai_dc:dc", _OPEN, parts)
