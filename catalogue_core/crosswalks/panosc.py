"""The `panosc` format SciCat's OAI provider offered, in the one namespace it advertises."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..urls import PANOSC_SCHEMA_PATH
from ..xmltext import attribute, root, string, text
from .links import derived

if TYPE_CHECKING:
    from ..record import PublishedRecord
    from . import RenderContext

PANOSC_NS = "http://scicat.esss.se/panosc"
PANOSC_XSD_FILE = Path(__file__).resolve().parent / "schemas" / "panosc.xsd"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_ORCID = "https://orcid.org/"


def _orcid(record: PublishedRecord) -> str:
    for creator in record.metadata.get("creators", []):
        for ident in creator.get("nameIdentifiers", []):
            if ident.get("nameIdentifierScheme", "").upper() == "ORCID":
                value = ident.get("nameIdentifier", "")
                return value if value.startswith("http") else _ORCID + value
    return ""


def _description(record: PublishedRecord) -> str:
    # SciCat's mapper writes v3 `dataDescription` (here TechnicalInfo); the abstract when there is none.
    texts = {d.get("descriptionType"): d.get("description", "") for d in record.metadata.get("descriptions", [])}
    return texts.get("TechnicalInfo") or texts.get("Abstract") or ""


def _start_date(record: PublishedRecord) -> str:
    for date in record.metadata.get("dates", []):
        if date.get("dateType") == "Collected":
            return date.get("date", "").split("/")[0]
    return ""


def values(record: PublishedRecord, context: RenderContext) -> list[tuple[str, str]]:
    """Return the record's panosc elements, (name, text), in document order."""
    meta, extras = record.metadata, record.extras
    rights: dict[str, Any] = next(iter(meta.get("rightsList", [])), {})
    available = [d["date"] for d in meta.get("dates", []) if d.get("dateType") == "Available" and d.get("date")]
    techniques = [s["subject"] for s in meta.get("subjects", []) if s.get("subjectScheme", "").lower() == "panet"]
    size = extras.get("sizeOfArchive")
    return [
        ("id", record.doi),
        ("name", record.title),
        ("description", _description(record)),
        ("owner", "; ".join(record.creator_names)),
        ("contactEmail", ""),
        ("orcidOfOwner", _orcid(record)),
        ("license", rights.get("rightsUri") or rights.get("rights") or ""),
        ("embargoEndDate", available[0] if available else ""),
        ("startDate", _start_date(record)),
        ("path", extras.get("downloadLink") or derived(record, context).landing_url),
        ("technique", "; ".join(techniques)),
        ("sampleName", ""),
        ("chemicalFormula", ""),
        ("size", str(size) if isinstance(size, int) else ""),
        ("wavelength", ""),
    ]


def render(record: PublishedRecord, context: RenderContext) -> str:
    """Return the <panosc:panosctype> element as a string without XML declaration."""
    # Written straight to text (lxml's bytes: tests/test_direct_writers.py), not built as a tree: it is cheaper.
    declarations = _declarations(context.base_url)
    found = values(record, context)
    if derived(record, context).plain:
        try:  # nothing to escape or check (links.Derived.plain): the type check alone; odd values go below
            body = "".join([f"<panosc:{n}>{string(v)}</panosc:{n}>" for n, v in found])
            return f"<panosc:panosctype {declarations}>{body}</panosc:panosctype>"
        except TypeError:
            pass
    # element() written out: no attributes here (as oai_dc.render).
    parts = [
        f"<panosc:{name}/>" if value is None else f"<panosc:{name}>{text(value)}</panosc:{name}>"
        for name, value in found
    ]
    return root("panosc:panosctype", declarations, parts)


@lru_cache(maxsize=16)  # one base URL per app
def _declarations(base_url: str) -> str:
    location = attribute(f"{PANOSC_NS} {base_url.rstrip('/')}{PANOSC_SCHEMA_PATH}")
    return f'xmlns:panosc="{PANOSC_NS}" xmlns:xsi="{_XSI}" xsi:schemaLocation="{location}"'
