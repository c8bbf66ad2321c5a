"""Read a record's DataCite metadata into the plain values pages and exports show."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from catalogue_core.urls import doi_url

# An ORCID iD at the end of an identifier: 19 characters, so only an identifier's last 19 can be one.
_ORCID_TAIL = re.compile(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]")
_ROR = re.compile(r"^(?:https?://ror\.org/)?(0[a-z0-9]{8})$")
_NOT_IN_URL = re.compile(r'[\s<>"{}|\\^`\x00-\x1f\x7f]')
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")

# Resolvers of the related-identifier types that have one; the rest are shown as text.
_RESOLVERS = {
    "Handle": "https://hdl.handle.net/{}",
    "ARK": "https://n2t.net/{}",
    "arXiv": "https://arxiv.org/abs/{}",
    "PMID": "https://pubmed.ncbi.nlm.nih.gov/{}",
    "URN": "https://nbn-resolving.org/{}",
    "w3id": "https://w3id.org/{}",
}
_NO_SKIP: frozenset[str] = frozenset()
_RESOLVER_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:")


def safe_url(value: Any) -> str | None:
    """Return the value when it is a well-formed http(s) URL, else None (no javascript: links)."""
    if type(value) is str:
        return _safe_url(value)
    return _safe_url.__wrapped__(value) if isinstance(value, str) else None  # a subclass keeps its own type


@lru_cache(maxsize=1024)  # a page checks ~7 URLs, most of them a facility's few (licences, ROR, publisher)
def _safe_url(value: str) -> str | None:
    if _NOT_IN_URL.search(value.strip()):
        return None
    parts = urlsplit(value.strip())
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else None


@lru_cache(maxsize=1024)  # a few dozen DataCite terms, each humanised several times per page
def humanize(value: str) -> str:
    """Return a DataCite CamelCase term as words: 'IsSupplementTo' -> 'Is supplement to'."""
    words = _CAMEL.sub(" ", value).split(" ")
    return " ".join([words[0], *(w.lower() for w in words[1:])])


def thousands(number: int) -> str:
    """Return a whole number with thin-space thousands separators."""
    return f"{number:,}".replace(",", "\u202f")


def human_size(size: int | None) -> str:
    """Return a byte count in decimal units, as storage vendors and Zenodo show it."""
    if size is None:
        return ""
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("kB", "MB", "GB", "TB", "PB"):
        value /= 1000
        if value < 1000 or unit == "PB":
            return f"{value:.1f} {unit}"
    return f"{size} B"  # pragma: no cover - the loop always returns


# Hashable values, not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__,
# ~2x the cost, and a page builds ~10 of these per record at write time. Nothing assigns to them.
@dataclass(unsafe_hash=True, slots=True)
class Affiliation:
    """An organisation a person belongs to, with its ROR link when known."""

    name: str
    url: str | None = None


@dataclass(unsafe_hash=True, slots=True)  # not frozen: see Affiliation
class Person:
    """A creator or contributor."""

    name: str
    personal: bool
    given: str | None = None
    family: str | None = None
    orcid: str | None = None
    affiliations: tuple[Affiliation, ...] = ()
    role: str | None = None


@dataclass(unsafe_hash=True, slots=True)  # not frozen: see Affiliation
class Related:
    """A related work or identifier, with a link when it resolves."""

    identifier: str
    scheme: str
    relation: str
    url: str | None


def _orcid(identifiers: Any) -> str | None:
    """Return the ORCID link of a person's nameIdentifiers, or None."""
    for ident in identifiers:
        scheme = str(ident.get("nameIdentifierScheme", "")).upper()
        if scheme == "ORCID" and (found := _orcid_link(str(ident.get("nameIdentifier", "")))):
            return found
    return None


@lru_cache(maxsize=4096)  # a facility's people recur across its records: each identifier read once
def _orcid_link(identifier: str) -> str | None:
    text = identifier.strip()
    # One fullmatch of the last 19 characters: what a search for the iD anchored at the end ($) finds,
    # without trying every position before (~3x cheaper on a URL).
    match = _ORCID_TAIL.fullmatch(text, max(len(text) - 19, 0))
    return "https://orcid.org/" + match.group(0) if match else None


def _affiliations(items: Any) -> tuple[Affiliation, ...]:
    out = []
    for item in items:
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict) or not (name := item.get("name")):
            continue
        ident = item.get("affiliationIdentifier", "")
        scheme = item.get("affiliationIdentifierScheme", "")
        if type(name) is str and type(ident) is str and type(scheme) is str:
            out.append(_affiliation(name, ident, scheme))  # the common case: one Affiliation per organisation
        else:
            out.append(_affiliation.__wrapped__(item["name"], str(ident), str(scheme)))
    return tuple(out)


# Shared between records (nothing assigns to an Affiliation): a facility's records name the same few
# organisations, and reading each (ROR pattern, URL check, a new object) was ~a third of a person's cost.
@lru_cache(maxsize=4096)
def _affiliation(name: Any, ident: str, scheme: str) -> Affiliation:
    url = None
    if scheme.upper() == "ROR" and (match := _ROR.match(ident)):
        url = "https://ror.org/" + match.group(1)
    return Affiliation(name, url or safe_url(ident))


def person(data: dict[str, Any], role_key: str | None = None) -> Person:
    """Return a creator or contributor of DataCite JSON."""
    get = data.get  # ~10 look-ups per person, ~5 people per record
    orcid = _orcid(identifiers) if (identifiers := get("nameIdentifiers")) else None  # it decides `personal` too
    name_type, family = get("nameType"), get("familyName")
    personal = name_type == "Personal" or bool(family or orcid)
    role = get(role_key) if role_key else None
    return Person(
        get("name", ""),
        personal and name_type != "Organizational",
        get("givenName"),
        family,
        orcid,
        _affiliations(affiliations) if (affiliations := get("affiliation")) else (),
        humanize(role) if isinstance(role, str) else None,
    )


def creators(meta: dict[str, Any]) -> list[Person]:
    """Return the creators in order."""
    return [person(c) for c in meta.get("creators") or []]


def contributors(meta: dict[str, Any]) -> list[Person]:
    """Return the contributors with their roles."""
    return [person(c, "contributorType") for c in meta.get("contributors") or []]


def title(meta: dict[str, Any]) -> str:
    """Return the main title."""
    titles = meta.get("titles") or [{}]
    return next((t["title"] for t in titles if not t.get("titleType")), titles[0].get("title", ""))


def other_titles(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (kind, title) of subtitles, alternative and translated titles."""
    return [(humanize(t["titleType"]), t["title"]) for t in meta.get("titles") or [] if t.get("titleType")]


def descriptions(meta: dict[str, Any], kind: str) -> list[str]:
    """Return the descriptions of one descriptionType (Abstract, TechnicalInfo, Methods, ...)."""
    return [d["description"] for d in meta.get("descriptions") or [] if d.get("descriptionType") == kind]


def subjects(meta: dict[str, Any]) -> list[str]:
    """Return the keywords, without repeats."""
    return list(dict.fromkeys([s["subject"] for s in meta.get("subjects") or [] if s.get("subject")]))


def rights(meta: dict[str, Any]) -> list[tuple[str, str | None]]:
    """Return (name, link) of each licence or rights statement."""
    out = []
    for item in meta.get("rightsList") or []:
        url = safe_url(item.get("rightsUri"))
        name = item.get("rights") or item.get("rightsIdentifier") or url
        if name:
            out.append((name, url))
    return out


def resolve(identifier: str, scheme: str) -> str | None:
    """Return a link for an identifier of a DataCite identifier type, when it has a resolver."""
    if type(identifier) is str and type(scheme) is str:
        return _resolve(identifier, scheme)
    return _resolve.__wrapped__(identifier, scheme)


@lru_cache(maxsize=4096)  # funders and related works recur across a facility's records
def _resolve(identifier: str, scheme: str) -> str | None:
    if scheme == "URL":
        return safe_url(identifier)
    if scheme == "DOI" and identifier.lower().startswith(_RESOLVER_PREFIXES):  # most DOIs come bare: one test
        lowered = identifier.lower()
        identifier = next((identifier[len(p) :] for p in _RESOLVER_PREFIXES if lowered.startswith(p)), identifier)
    if scheme == "DOI":
        return doi_url(identifier)
    template = _RESOLVERS.get(scheme)
    return template.format(identifier) if template else safe_url(identifier)


def related(meta: dict[str, Any], skip: set[str] | None = None) -> list[Related]:
    """Return related identifiers with links, leaving out those in `skip` (shown elsewhere)."""
    out = []
    for item in meta.get("relatedIdentifiers") or []:
        ident = item.get("relatedIdentifier", "")
        if not ident or ident in (skip or _NO_SKIP):
            continue
        scheme = item.get("relatedIdentifierType", "")
        out.append(Related(ident, scheme, humanize(item.get("relationType", "References")), resolve(ident, scheme)))
    return out


def dates(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (kind, date) pairs; ranges read 'from – to'."""
    out = []
    for item in meta.get("dates") or []:
        if date := item.get("date"):
            # A single date (most) is its own text: the split and join below give it back as it is.
            when = date if type(date) is str and "/" not in date else " – ".join([p for p in date.split("/") if p])
            kind = humanize(item.get("dateType", "Other"))
            if item.get("dateInformation"):
                kind += f" ({item['dateInformation']})"
            out.append((kind, when))
    return out


def issued(meta: dict[str, Any]) -> str:
    """Return the publication date: the Issued date when given, else the publication year."""
    for item in meta.get("dates") or []:
        if item.get("dateType") == "Issued" and item.get("date"):
            return item["date"][:10]
    return str(meta.get("publicationYear", ""))


def funding(meta: dict[str, Any]) -> list[dict[str, str | None]]:
    """Return each funding reference: funder, its link, award number, title and link."""
    out = []
    for item in meta.get("fundingReferences") or []:
        award = item.get("awardNumber")
        if isinstance(award, dict):  # DataCite JSON may nest {"awardNumber", "awardURI"}
            nested: dict[str, Any] = award
            award, award_uri = nested.get("awardNumber"), nested.get("awardURI")
        else:
            award_uri = item.get("awardURI") or item.get("awardUri")
        out.append(
            {
                "funder": item.get("funderName", ""),
                "funder_url": resolve(str(item.get("funderIdentifier", "")), "DOI")
                if str(item.get("funderIdentifierType", "")).startswith("Crossref")
                else safe_url(item.get("funderIdentifier")),
                "award": award,
                "award_title": item.get("awardTitle"),
                "award_url": safe_url(award_uri),
            }
        )
    return out


def resource_type(meta: dict[str, Any]) -> str:
    """Return the general resource type as words ('Dataset', 'Computational notebook')."""
    return humanize((meta.get("types") or {}).get("resourceTypeGeneral") or "Dataset")


def publisher(meta: dict[str, Any]) -> str:
    """Return the publisher's name."""
    value = meta.get("publisher") or {}
    return value.get("name", "") if isinstance(value, dict) else str(value)


def publisher_url(meta: dict[str, Any]) -> str | None:
    """Return the publisher's identifier link (ROR) when given."""
    value = meta.get("publisher") or {}
    return safe_url(value.get("publisherIdentifier")) if isinstance(value, dict) else None
