"""Crosswalks from the canonical record to the formats we disseminate, rendered at write time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..record import PublishedRecord
from ..urls import PANOSC_SCHEMA_PATH, PublicURLs, landing_path
from . import datacite_xml, oai_dc, panosc


@dataclass(frozen=True)
class RenderContext:
    """What a crosswalk needs besides the record: where the landing pages live."""

    base_url: str = "http://127.0.0.1:8080"
    datacentre_symbol: str = ""
    _landing_base: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # PublicURLs(base_url).landing(key) with its base read once per context, not per record written:
        # a cached_property's and a property's Python-level look-ups were ~0.5 us of each record.
        object.__setattr__(self, "_landing_base", PublicURLs(self.base_url).base)

    def landing_url(self, key: str) -> str:
        """Return the landing page URL of a record key."""
        return self._landing_base + landing_path(key)  # PublicURLs.landing's URL


Renderer = Callable[[PublishedRecord, RenderContext], str]


@dataclass(frozen=True)
class MetadataFormat:
    """One disseminated format: its OAI metadataPrefix, schema, namespace and renderer."""

    prefix: str
    schema: str  # a URL, or a path under DMZPUB_BASE_URL for a schema this server publishes
    namespace: str
    render: Renderer


# The one registry of metadata formats: ListMetadataFormats describes these, and every record
# stores each of them rendered at write time. A change to a renderer needs `dmzpub reindex`
# so stored output and datestamps follow. Adding a format: its crosswalk module and one entry.
FORMATS: dict[str, MetadataFormat] = {
    f.prefix: f
    for f in (
        MetadataFormat("oai_dc", oai_dc.OAI_DC_XSD, oai_dc.OAI_DC_NS, oai_dc.render),
        MetadataFormat(
            "oai_datacite",
            datacite_xml.OAI_DATACITE_XSD,
            datacite_xml.OAI_DATACITE_NS,
            datacite_xml.render_oai_datacite,
        ),
        MetadataFormat(
            "datacite",
            "http://schema.datacite.org/meta/kernel-4/metadata.xsd",
            "http://datacite.org/schema/kernel-4",
            datacite_xml.render,
        ),
        # SciCat's provider offered it; its schema is kept in the project and served by this server.
        MetadataFormat("panosc", PANOSC_SCHEMA_PATH, panosc.PANOSC_NS, panosc.render),
    )
}


def render_all(record: PublishedRecord, context: RenderContext) -> dict[str, str]:
    """Return every stored format of the record."""
    return {prefix: f.render(record, context) for prefix, f in FORMATS.items()}
