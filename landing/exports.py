"""The metadata exports of a record: stable URL names, media types and how each is built."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from . import citation, schemaorg
from .page import RecordPage

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def _datacite_xml(page: RecordPage) -> str:
    # Rendered once, at write time, by the crosswalk that also feeds OAI-PMH.
    return XML_DECLARATION + page.record.rendered["datacite"] + "\n"


@dataclass(frozen=True)
class Export:
    """One export: its URL name under /doi/<doi>/, media type, label and builder."""

    name: str
    media_type: str
    label: str
    build: Callable[[RecordPage], str]

    @property
    def content_type(self) -> str:
        """Return the Content-Type header value."""
        return f"{self.media_type}; charset=utf-8"


EXPORTS: tuple[Export, ...] = (
    Export("datacite.xml", "application/vnd.datacite.datacite+xml", "DataCite XML", _datacite_xml),
    Export(
        "datacite.json",
        "application/vnd.datacite.datacite+json",
        "DataCite JSON",
        lambda page: _json(page.meta),
    ),
    Export("schemaorg.json", "application/ld+json", "Schema.org JSON-LD", lambda page: _json(schemaorg.dataset(page))),
    Export(
        "csl.json",
        "application/vnd.citationstyles.csl+json",
        "CSL-JSON",
        lambda page: _json(citation.csl(page.doi, page.meta)),
    ),
    Export(
        "citation.bib",
        "application/x-bibtex",
        "BibTeX",
        lambda page: citation.bibtex(page.doi, page.meta, page.landing_url),
    ),
    Export(
        "citation.ris",
        "application/x-research-info-systems",
        "RIS",
        lambda page: citation.ris(page.doi, page.meta, page.landing_url),
    ),
    Export(
        "citation.txt",
        "text/x-bibliography",
        "Formatted citation",
        lambda page: citation.datacite(page.doi, page.meta) + "\n",
    ),
)
BY_NAME = {e.name: e for e in EXPORTS}
BY_MEDIA_TYPE = {e.media_type: e for e in EXPORTS}
