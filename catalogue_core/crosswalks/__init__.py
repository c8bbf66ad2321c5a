"""Crosswalks from the canonical record to the formats we disseminate, rendered at write time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..record import PublishedRecord
from ..urls import PublicURLs
from . import datacite_xml, oai_dc, panosc


@dataclass(frozen=True)
class RenderContext:
    """What a crosswalk needs besides the record: where the landing pages live."""

    base_url: str = "http://127.0.0.1:8080"
    datacentre_symbol: str = ""

    def landing_url(self, key: str) -> str:
        """Return the landing page URL of a record key."""
        return PublicURLs(self.base_url).landing(key)


Renderer = Callable[[PublishedRecord, RenderContext], str]

# Metadata fragments stored with each record, keyed by OAI metadataPrefix. A change to any
# renderer needs `dmzpub reindex` so stored output and datestamps follow.
RENDERERS: dict[str, Renderer] = {
    "oai_dc": oai_dc.render,
    "datacite": datacite_xml.render,
    "oai_datacite": datacite_xml.render_oai_datacite,
    "panosc": panosc.render,
}


def render_all(record: PublishedRecord, context: RenderContext) -> dict[str, str]:
    """Return every stored format of the record."""
    return {prefix: render(record, context) for prefix, render in RENDERERS.items()}
