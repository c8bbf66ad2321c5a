"""The values a record page template shows, gathered once per request from the metadata."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import model
from .page import RecordPage

LANGUAGES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "it": "Italian",
    "es": "Spanish",
    "sv": "Swedish",
    "da": "Danish",
    "nl": "Dutch",
    "pl": "Polish",
    "ja": "Japanese",
    "zh": "Chinese",
}
INLINE_IMAGES = ("data:image/png;", "data:image/jpeg;", "data:image/webp;")
# Descriptions shown as their own sections, in this order, under these headings.
DESCRIPTION_SECTIONS = (
    ("Abstract", "Abstract"),
    ("TechnicalInfo", "Data description"),
    ("Methods", "Methods"),
    ("SeriesInformation", "Series"),
    ("TableOfContents", "Contents"),
    ("Other", "Notes"),
)
_HEADINGS = dict(DESCRIPTION_SECTIONS)


@dataclass(unsafe_hash=True, slots=True)  # not frozen: see model.Affiliation
class Byline:
    """A creator with the numbers of their affiliations in the page's affiliation list."""

    person: model.Person
    marks: tuple[int, ...]


def bylines(creators: list[model.Person]) -> tuple[list[Byline], list[model.Affiliation]]:
    """Return creators with affiliation numbers, and the numbered affiliations in first-seen order."""
    numbered: dict[str, int] = {}
    affiliations: list[model.Affiliation] = []
    lines = []
    for person in creators:
        marks = []
        for aff in person.affiliations:
            if (mark := numbered.get(aff.name)) is None:
                mark = numbered[aff.name] = len(affiliations) + 1
                affiliations.append(aff)
            marks.append(mark)
        # Most people have one affiliation or none: nothing to sort.
        lines.append(Byline(person, tuple(sorted(marks)) if len(marks) > 1 else tuple(marks)))
    return lines, affiliations


def language(code: str | None) -> str | None:
    """Return the English name of a language code, or the code."""
    if not code:
        return None
    return _language(code) if type(code) is str else LANGUAGES.get(code.lower().split("-")[0], code)


@lru_cache(maxsize=256)  # a facility writes in a few languages
def _language(code: str) -> str:
    return LANGUAGES.get(code.lower().split("-")[0], code)


def _descriptions(meta: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """Return (heading, texts) of each description section that has texts, as model.descriptions reads them."""
    # One pass over the descriptions, not one per section kind.
    found: dict[str, list[str]] = {}
    for item in meta.get("descriptions") or []:
        kind = item.get("descriptionType")
        if type(kind) is str and kind in _HEADINGS:
            found.setdefault(kind, []).append(item["description"])
    if len(found) == 1:  # most records have one kind: no walk over the six sections
        [(kind, texts)] = found.items()
        return [(_HEADINGS[kind], texts)]
    return [(heading, found[kind]) for kind, heading in DESCRIPTION_SECTIONS if kind in found]


def record_sections(page: RecordPage) -> dict[str, Any]:
    """Return every value the record template shows besides the page itself."""
    record = page.record
    meta, extras = record.metadata, record.extras
    lines, affiliations = bylines(page.creators)
    size = extras.get("sizeOfArchive")
    related = page.related
    if pids := page.dataset_pids:
        skip = set(pids)  # shown as the dataset's PIDs, not as related works
        related = [item for item in related if item.identifier not in skip]
    else:
        related = list(related)  # the sections' own list, as the filter above makes one
    thumbnail = page.thumbnail_path  # a property that quotes the key: read once
    return {
        "bylines": lines,
        "affiliations": affiliations,
        "other_titles": model.other_titles(meta),
        "descriptions": _descriptions(meta),
        "subjects": model.subjects(meta),
        "licences": page.rights,
        "related": related,
        "contributors": model.contributors(meta),
        "funding": model.funding(meta),
        "dates": model.dates(meta),
        "issued": model.issued(meta),
        "publisher": model.publisher(meta),
        "publisher_url": model.publisher_url(meta),
        "resource_type": model.resource_type(meta),
        "resource_subtype": (meta.get("types") or {}).get("resourceType"),
        "language": language(meta.get("language")),
        "number_of_files": extras.get("numberOfFiles"),
        "size": model.human_size(size) if isinstance(size, int) else None,
        "pending": extras.get("status") == "pending_registration",
        # Served by this server (never a remote URL, which would leak visitors to a third party).
        "thumbnail": thumbnail and page.base_url + thumbnail,
        "catalogue_url": model.safe_url(extras.get("url")),
        "places": [g["geoLocationPlace"] for g in meta.get("geoLocations") or [] if g.get("geoLocationPlace")],
    }
