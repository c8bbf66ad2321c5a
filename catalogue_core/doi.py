"""Parse and normalise DOIs: one canonical, case-folded key per DOI."""

from __future__ import annotations

import re
from urllib.parse import unquote

from .errors import InvalidDOI

# Registrant codes are dot-separated digit groups; the suffix is any printable string.
_DOI_RE = re.compile(r"^10\.\d{4,9}(?:\.\d+)*/\S+$")
_PREFIXES = (
    "https://doi.org/",
    "http://doi.org/",
    "https://dx.doi.org/",
    "http://dx.doi.org/",
    "doi.org/",
    "doi:",
)


def normalize_doi(value: object, field: str = "doi") -> str:
    """Return the DOI without resolver prefix or `doi:` scheme, case preserved; raise InvalidDOI."""
    if not isinstance(value, str):
        raise InvalidDOI(value, field)
    doi = value.strip()
    lowered = doi.lower()
    for prefix in _PREFIXES:
        if lowered.startswith(prefix):
            doi = doi[len(prefix) :]
            if prefix.startswith("http"):
                doi = unquote(doi)
            break
    if len(doi) > 1000 or not _DOI_RE.match(doi) or any(ord(c) < 0x20 for c in doi):
        raise InvalidDOI(value, field)
    return doi


def doi_key(value: object, field: str = "doi") -> str:
    """Return the case-folded DOI: DOIs are case-insensitive, so this is the record's key."""
    return normalize_doi(value, field).lower()
