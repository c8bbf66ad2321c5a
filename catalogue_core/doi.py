"""Parse and normalise DOIs: one canonical, case-folded key per DOI."""

from __future__ import annotations

import re
from urllib.parse import unquote

from .errors import InvalidDOI

# Registrant codes are dot-separated digit groups; the suffix is any printable string: no space, no control
# character (one fullmatch, where a match and a search for controls were ~1 K instructions more a DOI).
_IS_DOI = re.compile(r"10\.\d{4,9}(?:\.\d+)*/[^\s\x00-\x1f]+").fullmatch
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
    lowered = fold_doi(doi)
    if lowered.startswith(_PREFIXES):  # most DOIs come bare: one test, not six
        for prefix in _PREFIXES:
            if lowered.startswith(prefix):
                doi = doi[len(prefix) :]
                if prefix.startswith("http"):
                    doi = unquote(doi)
                break
    if len(doi) > 1000 or not _IS_DOI(doi):
        raise InvalidDOI(value, field)
    return doi


# DOIs are case-insensitive for ASCII letters only (DOI Handbook 2.4): str.lower() would also
# fold e.g. U+212A KELVIN SIGN into "k", letting one DOI overwrite another's record.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold_doi(text: str) -> str:
    """Return the text with ASCII letters lower-cased and every other character kept."""
    # Every landing page and push folds its DOI: for ASCII text (nearly all DOIs) lower() is the same and faster.
    return text.lower() if text.isascii() else text.translate(_ASCII_LOWER)


def doi_key(value: object, field: str = "doi") -> str:
    """Return the case-folded DOI: DOIs are case-insensitive, so this is the record's key."""
    return fold_doi(normalize_doi(value, field))
