"""Defaults for what SciCat leaves out: identifier types told from values, and the v3 fields its migration kept.

SciCat's v3->v4 migration (backend migrations/20250521070910-published-data-migration.js)
writes `metadata.contributors[{name}]` from v3 `authors` and
`metadata.relatedIdentifiers[{relatedIdentifier}]` from v3 `relatedPublications`, without
the types DataCite requires. They get the types their v3 originals get here: contributors
are `Researcher`, relations `IsSupplementTo`, identifier types are told from the value.
"""

from __future__ import annotations

import re
from typing import Any

from .names import with_split_name

DEFAULT_CONTRIBUTOR_TYPE = "Researcher"  # v3 `authors` who are not creators
DEFAULT_RELATION = "IsSupplementTo"  # v3 `relatedPublications`
_DOI_IN_TEXT = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(10\.\d{4,9}/\S+)$", re.I)
_HANDLE = re.compile(r"^(?:hdl:|https?://hdl\.handle\.net/)?(\d+(?:\.\d+)*/\S+)$")


def related_identifier(identifier: str, relation: str) -> dict[str, str]:
    """Return a DataCite related identifier, its type told from the value: DOI, URL, Handle, else URN."""
    text = identifier.strip()
    if m := _DOI_IN_TEXT.match(text):
        kind, text = "DOI", m.group(1)
    elif text.startswith(("http://", "https://")):
        kind = "URL"
    elif m := _HANDLE.match(text):
        kind, text = "Handle", m.group(1)
    else:
        kind = "URN"
    return {"relatedIdentifier": text, "relatedIdentifierType": kind, "relationType": relation}


def completed_related(items: Any) -> Any:
    """Return related identifiers with a missing type or relation filled in (others untouched)."""
    if not isinstance(items, list):
        return items
    out = []
    for item in items:
        value = item.get("relatedIdentifier") if isinstance(item, dict) else None
        if isinstance(value, str) and value.strip():
            filled = {k: v for k, v in item.items() if v not in (None, "")}
            if not item.get("relatedIdentifierType"):
                guessed = related_identifier(value, DEFAULT_RELATION)
                for name in ("relatedIdentifier", "relatedIdentifierType"):
                    filled[name] = guessed[name]
            filled.setdefault("relationType", DEFAULT_RELATION)
            item = filled
        out.append(item)
    return out


def completed_contributors(items: Any, creator_names: set[str]) -> Any:
    """Return contributors with a missing contributorType set to Researcher and then their names split.

    A contributor without a type who is also a creator is dropped, as v3 `authors` who are
    creators are: the migration copied every author, creators included.
    """
    if not isinstance(items, list):
        return items
    out = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("name"), str) and not item.get("contributorType"):
            if " ".join(item["name"].split()).lower() in creator_names:
                continue
            item = with_split_name({**item, "contributorType": DEFAULT_CONTRIBUTOR_TYPE})
        out.append(item)
    return out


def with_affiliation(creators: list[dict[str, Any]], affiliation: Any) -> list[dict[str, Any]]:
    """Return creators with the record-wide affiliation given to those that have none (v3 `affiliation`)."""
    if not isinstance(affiliation, str) or not affiliation.strip():
        return creators
    return [c if c.get("affiliation") else {**c, "affiliation": [{"name": affiliation}]} for c in creators]
