"""What a record links to besides its metadata: SciCat's own page (`url`) and the thumbnail this server serves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..thumbnail import THUMBNAIL_SUFFIX
from ..urls import PublicURLs

if TYPE_CHECKING:
    from ..record import PublishedRecord
    from . import RenderContext


def catalogue_url(record: PublishedRecord) -> str | None:
    """Return SciCat's page of the dataset (v3 `url`, migrated `metadata.url`) when it is an http(s) URL."""
    value = record.extras.get("url")
    if not isinstance(value, str) or any(c.isspace() or c in '<>"' for c in value):
        return None
    parts = urlsplit(value)
    return value if parts.scheme in ("http", "https") and parts.netloc else None


def thumbnail_url(record: PublishedRecord, context: RenderContext) -> str | None:
    """Return the absolute URL of the record's thumbnail, when it kept one."""
    image = record.extras.get("thumbnail")
    if not isinstance(image, dict):
        return None
    return PublicURLs(context.base_url).export(record.key, THUMBNAIL_SUFFIX)


def with_links(record: PublishedRecord, context: RenderContext) -> dict[str, Any]:
    """Return the metadata to disseminate: SciCat's page as an alternate URL, the thumbnail as a related image.

    DataCite has no thumbnail property; kernel 4.7's relationType `Other` with
    relationTypeInformation names the link for what it is.
    """
    meta = dict(record.metadata)
    if url := catalogue_url(record):
        alternate = {"alternateIdentifier": url, "alternateIdentifierType": "URL"}
        meta["alternateIdentifiers"] = [*meta.get("alternateIdentifiers", []), alternate]
    if image := thumbnail_url(record, context):
        related = {
            "relatedIdentifier": image,
            "relatedIdentifierType": "URL",
            "relationType": "Other",
            "relationTypeInformation": "Thumbnail",
            "resourceTypeGeneral": "Image",
        }
        meta["relatedIdentifiers"] = [*meta.get("relatedIdentifiers", []), related]
    return meta
