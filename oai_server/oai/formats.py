"""The metadata formats the provider disseminates: prefix, schema and namespace of each."""

from __future__ import annotations

from dataclasses import dataclass

from catalogue_core.crosswalks.datacite_xml import OAI_DATACITE_NS, OAI_DATACITE_XSD
from catalogue_core.crosswalks.oai_dc import OAI_DC_NS, OAI_DC_XSD
from catalogue_core.crosswalks.panosc import PANOSC_NS
from catalogue_core.urls import PANOSC_SCHEMA_PATH


@dataclass(frozen=True)
class MetadataFormat:
    """One format as ListMetadataFormats describes it."""

    prefix: str
    schema: str  # a URL, or a path under DMZPUB_BASE_URL for a schema this server publishes
    namespace: str


# Every prefix here is rendered at write time by catalogue_core.crosswalks.RENDERERS.
FORMATS: dict[str, MetadataFormat] = {
    f.prefix: f
    for f in (
        MetadataFormat("oai_dc", OAI_DC_XSD, OAI_DC_NS),
        MetadataFormat("oai_datacite", OAI_DATACITE_XSD, OAI_DATACITE_NS),
        MetadataFormat(
            "datacite",
            "http://schema.datacite.org/meta/kernel-4/metadata.xsd",
            "http://datacite.org/schema/kernel-4",
        ),
        # SciCat's provider offered it; its schema is kept in the project and served by this server.
        MetadataFormat("panosc", PANOSC_SCHEMA_PATH, PANOSC_NS),
    )
}
