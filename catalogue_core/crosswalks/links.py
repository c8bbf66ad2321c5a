"""What a record links to besides its metadata: SciCat's own page (`url`) and the thumbnail this server serves."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..thumbnail import THUMBNAIL_SUFFIX
from ..urls import PublicURLs, doi_url
from ..xmltext import plain

EU_REPO = "info:eu-repo/semantics/"  # the access-rights vocabulary OpenAIRE's guidelines name
# What a catalogue URL may not hold: white space (str.isspace's, which \s matches in str patterns), < > ".
_NOT_IN_URL = re.compile(r'[\s<>"]')

if TYPE_CHECKING:
    from ..record import PublishedRecord
    from . import RenderContext


def catalogue_url(record: PublishedRecord) -> str | None:
    """Return SciCat's page of the dataset (v3 `url`, migrated `metadata.url`) when it is an http(s) URL."""
    value = record.extras.get("url")
    # One regex search, not a Python test per character (a v3 record's URL, on every write).
    if not isinstance(value, str) or _NOT_IN_URL.search(value):
        return None
    parts = urlsplit(value)
    return value if parts.scheme in ("http", "https") and parts.netloc else None


def thumbnail_url(record: PublishedRecord, context: RenderContext) -> str | None:
    """Return the absolute URL of the record's thumbnail, when it kept one."""
    image = record.extras.get("thumbnail")
    if not isinstance(image, dict):
        return None
    return PublicURLs(context.base_url).export(record.key, THUMBNAIL_SUFFIX)


_today: tuple[int, str] = (-1, "")  # (the second it was read in, the local date then)


def local_today() -> str:
    """Return today's local date in ISO form, read at most once a second."""
    # date.today() stats /etc/localtime on each call (glibc without TZ): ~10 us, twice per record written.
    global _today
    second, memo = int(time.time()), _today
    if memo[0] != second:
        memo = _today = (second, date.today().isoformat())
    return memo[1]


def access_right(record: PublishedRecord, today: str | None = None) -> tuple[str, str]:
    """Return the record's access right as (label, rightsURI) from the info:eu-repo/semantics/ vocabulary.

    OpenAIRE's Guidelines for Data Archives make it mandatory. Files SciCat offers for download
    (a `downloadLink`) are open access, unless an `Available` date in the future embargoes them;
    without a download link the files are available on request: restricted access.
    """
    today = today or local_today()
    for found in record.metadata.get("dates", []):  # a loop, not any() over a generator: once per record written
        if found.get("dateType") == "Available" and found.get("date", "")[:10] > today:
            return "Embargoed Access", EU_REPO + "embargoedAccess"
    if record.extras.get("downloadLink"):
        return "Open Access", EU_REPO + "openAccess"
    return "Restricted Access", EU_REPO + "restrictedAccess"


def with_links(record: PublishedRecord, context: RenderContext) -> dict[str, Any]:
    """Return the metadata to disseminate: the access right, SciCat's page as an alternate URL, the thumbnail.

    DataCite has no thumbnail property; kernel 4.7's relationType `Other` with
    relationTypeInformation names the link for what it is.
    """
    return _with_links(record, access_right(record), catalogue_url(record), thumbnail_url(record, context))


def _with_links(record: PublishedRecord, access: tuple[str, str], url: str | None, image: str | None) -> dict[str, Any]:
    meta = dict(record.metadata)
    label, uri = access
    given = [r for r in meta.get("rightsList", []) if not str(r.get("rightsUri", "")).startswith(EU_REPO)]
    meta["rightsList"] = [*given, {"rights": label, "rightsUri": uri}]
    if url:
        alternate = {"alternateIdentifier": url, "alternateIdentifierType": "URL"}
        meta["alternateIdentifiers"] = [*meta.get("alternateIdentifiers", []), alternate]
    if image:
        related = {
            "relatedIdentifier": image,
            "relatedIdentifierType": "URL",
            "relationType": "Other",
            "relationTypeInformation": "Thumbnail",
            "resourceTypeGeneral": "Image",
        }
        meta["relatedIdentifiers"] = [*meta.get("relatedIdentifiers", []), related]
    return meta


@dataclass(slots=True)  # not frozen, not a NamedTuple: ~3x cheaper to make, and one is made per record written
class Derived:
    """What every format of one record derives from it besides its metadata, worked out once per record."""

    access: tuple[str, str]  # access_right's (label, rightsURI)
    doi_url: str
    landing_url: str
    catalogue_url: str | None
    thumbnail_url: str | None
    metadata: dict[str, Any]  # with_links's metadata, the DataCite resource's input
    plain: bool  # xmltext.plain over everything the formats write: their writers may skip escaping


# A write renders every format of one record in turn: each thread keeps the last record's derivation
# (compared by identity, with its context) for the formats that follow, not worked out again per format.
_last = threading.local()


def derived(record: PublishedRecord, context: RenderContext) -> Derived:
    """Return the record's derived links, worked out once for all of its formats."""
    memo = getattr(_last, "memo", None)
    if memo is not None and memo[0] is record and (memo[1] is context or memo[1] == context):
        return memo[2]
    access = access_right(record)
    catalogue, thumbnail = catalogue_url(record), thumbnail_url(record, context)
    resolver, landing = doi_url(record.doi), context.landing_url(record.key)
    written = [record.doi, resolver, landing, context.base_url, context.datacentre_symbol]
    written += [text for text in (catalogue, thumbnail, record.extras.get("downloadLink")) if text is not None]
    metadata = _with_links(record, access, catalogue, thumbnail)
    found = Derived(access, resolver, landing, catalogue, thumbnail, metadata, plain([record.metadata, written]))
    _last.memo = (record, context, found)
    return found
