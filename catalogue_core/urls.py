"""Every public URL rule in one place: landing pages, exports, downloads, OAI, the push API, the DOI resolver.

Paths are relative to DMZPUB_BASE_URL; `PublicURLs(base).x(...)` gives the absolute forms. A DOI
(or file path) goes into a path with every character that is not an RFC 3986 path character
%-encoded, so `#`, `?`, `%`, spaces and non-ASCII letters never cut a URL short.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

LANDING_PREFIX = "/doi/"
DOWNLOAD_PREFIX = "/download/"
OAI_PATH = "/oai"
# SciCat's OAI provider answered at these paths (oai-provider-service routes.ts); its harvesters keep them.
SCICAT_OAI_PATHS = ("/scicat/oai", "/openaire/oai", "/panosc/oai")
PANOSC_SCHEMA_PATH = "/schemas/panosc.xsd"  # the panosc format's schema, kept in the project
# SciCat's landing page server answered /detail/<id>; SciCat v3 registered DOIs there (see landing.old_urls).
OLD_LANDING_PREFIX = "/detail/"
THUMBNAIL_EXPORT = "thumbnail"  # a record's thumbnail is served at <landing path>/thumbnail
API_RECORDS_PATH = "/api/v1/published"
CHECKSUMS_NAME = "SHA256SUMS"
RESOLVER = "https://doi.org/"

# RFC 3986 pchar minus the percent sign (which is always encoded), with "/" kept between segments.
_PATH_SAFE = "/:@!$&'()*+,;="
# DOI Handbook URL encoding: mandatory % " # SPACE ?; recommended < > { } ^ [ ] ` | \ +.
_RESOLVER_UNSAFE = re.compile(r'[%"# ?<>{}^\[\]`|\\+]')


# What quote() leaves as it is with _PATH_SAFE: its always-safe ASCII letters, digits and _.-~, and _PATH_SAFE.
_PATH_PLAIN = re.compile(f"[A-Za-z0-9_.~{re.escape(_PATH_SAFE)}-]*")
# Tell whether a text goes into a URL path as it is (werkzeug's path converter quotes with the same safe set).
is_plain_path = _PATH_PLAIN.fullmatch


def in_path(text: str) -> str:
    """Return a DOI or relative file path as it goes into a URL path (its slashes kept)."""
    # Most DOIs need no quoting: one regex match, not quote()'s encode, strip and decode (~0.4 -> ~0.15 us).
    if type(text) is str and is_plain_path(text):
        return text
    return quote(text, safe=_PATH_SAFE)


@lru_cache(maxsize=4096)
def landing_path(key: str) -> str:
    """Return the path of a record's landing page."""
    return LANDING_PREFIX + in_path(key)


def export_path(key: str, export: str) -> str:
    """Return the path of one export of a record (datacite.xml, linkset, ...)."""
    return f"{landing_path(key)}/{export}"


def listing_path(key: str) -> str:
    """Return the path of a dataset's file listing (HTML, or JSON by Accept/?format=json)."""
    return f"{DOWNLOAD_PREFIX}{in_path(key)}/"


def file_path(key: str, path: str) -> str:
    """Return the path of one staged file."""
    return f"{DOWNLOAD_PREFIX}{in_path(key)}/{in_path(path)}"


def checksums_path(key: str) -> str:
    """Return the path of a dataset's SHA256SUMS."""
    return f"{DOWNLOAD_PREFIX}{in_path(key)}/{CHECKSUMS_NAME}"


def zip_path(key: str) -> str:
    """Return the path of the whole dataset as one streamed ZIP."""
    return f"{DOWNLOAD_PREFIX}{in_path(key)}.zip"


def api_record_path(doi: str | None = None) -> str:
    """Return the push API's path of one record, or of the collection."""
    return f"{API_RECORDS_PATH}/{in_path(doi)}" if doi else API_RECORDS_PATH


@lru_cache(maxsize=1024)  # a record's page, citations and formats convert its DOI ~6 times at write time
def doi_url(doi: str) -> str:
    """Return the resolver URL of a DOI, %-encoded as the DOI Handbook's URL encoding rules say."""
    if not _RESOLVER_UNSAFE.search(doi):  # most DOIs: a search, not a sub with nothing to replace (~2x)
        return RESOLVER + doi
    return RESOLVER + _RESOLVER_UNSAFE.sub(lambda m: f"%{ord(m.group()):02X}", doi)


@dataclass(frozen=True)
class PublicURLs:
    """The absolute URLs under one public base URL."""

    base_url: str

    @property
    def base(self) -> str:
        """Return the base URL without a trailing slash."""
        return self.base_url.rstrip("/")

    def landing(self, key: str) -> str:
        """Return the absolute URL of a record's landing page."""
        return self.base + landing_path(key)

    def export(self, key: str, export: str) -> str:
        """Return the absolute URL of one export."""
        return self.base + export_path(key, export)

    def oai(self) -> str:
        """Return the OAI-PMH base URL."""
        return self.base + OAI_PATH
