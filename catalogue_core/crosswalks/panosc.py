"""The `panosc` format SciCat's OAI provider offered, in the one namespace it advertises."""

from __future__ import annotations

from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..urls import PANOSC_SCHEMA_PATH
from ..xmltext import attribute, root, text
from .links import Derived, derived

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


# The elements, all of them always, in document order.
_NAMES = [
    "id",
    "name",
    "description",
    "owner",
    "contactEmail",
    "orcidOfOwner",
    "license",
    "embargoEndDate",
    "startDate",
    "path",
    "technique",
    "sampleName",
    "chemicalFormula",
    "size",
    "wavelength",
]
# What goes before each text and after the last: a plain record's document is these joined with its texts.
_BETWEEN = [f"<panosc:{_NAMES[0]}>"]
_BETWEEN += [f"</panosc:{before}><panosc:{after}>" for before, after in pairwise(_NAMES)]
_BETWEEN += [f"</panosc:{_NAMES[-1]}>"]


def values(record: PublishedRecord, context: RenderContext) -> list[tuple[str, str]]:
    """Return the record's panosc elements, (name, text), in document order."""
    return list(zip(_NAMES, _texts(record, derived(record, context)), strict=True))


def _texts(record: PublishedRecord, links: Derived) -> list[str]:
    meta, extras = record.metadata, record.extras
    rights: dict[str, Any] = next(iter(meta.get("rightsList", [])), {})
    available = [d["date"] for d in meta.get("dates", []) if d.get("dateType") == "Available" and d.get("date")]
    techniques = [s["subject"] for s in meta.get("subjects", []) if s.get("subjectScheme", "").lower() == "panet"]
    size = extras.get("sizeOfArchive")
    return [
        record.doi,
        record.title,
        _description(record),
        "; ".join(record.creator_names),
        "",
        _orcid(record),
        rights.get("rightsUri") or rights.get("rights") or "",
        available[0] if available else "",
        _start_date(record),
        extras.get("downloadLink") or links.landing_url,
        "; ".join(techniques),
        "",
        "",
        str(size) if isinstance(size, int) else "",
        "",
    ]


def render(record: PublishedRecord, context: RenderContext) -> str:
    """Return the <panosc:panosctype> element as a string without XML declaration."""
    # Written straight to text (lxml's bytes: tests/test_direct_writers.py), not built as a tree: it is cheaper.
    declarations = _declarations(context.base_url)
    links = derived(record, context)  # once: a second look-up of the memo was ~2K instructions (callgrind)
    texts = _texts(record, links)
    if links.plain:
        # Nothing to escape or check (links.Derived.plain): the texts between the fixed tags in one join,
        # which also refuses what is not a string (odd values go below).
        pieces = [*_BETWEEN, *texts]
        pieces[::2], pieces[1::2] = _BETWEEN, texts
        try:
            return f"<panosc:panosctype {declarations}>{''.join(pieces)}</panosc:panosctype>"
        except TypeError:
            pass
    # element() written out: no attributes here (as oai_dc.render).
    parts = [
        f"<panosc:{name}/>" if value is None else f"<panosc:{name}>{text(value)}</panosc:{name}>"
        for name, value in zip(_NAMES, texts, strict=True)
    ]
    return root("panosc:panosctype", declarations, parts)


@lru_cache(maxsize=16)  # one base URL per app
def _declarations(base_url: str) -> str:
    location = attribute(f"{PANOSC_NS} {base_url.rstrip('/')}{PANOSC_SCHEMA_PATH}")
    return f'xmlns:panosc="{PANOSC_NS}" xmlns:xsi="{_XSI}" xsi:schemaLocation="{location}"'
