"""Normalise SciCat PublishedData (v3 legacy and v4 shapes) into a PublishedRecord."""

from __future__ import annotations

import re
from typing import Any

from . import datacite47, frozen, thumbnail
from .doi import doi_key, fold_doi, normalize_doi
from .errors import FieldProblem, InvalidDOI, InvalidRecord, NotPublishable
from .names import split_name, with_split_name
from .record import PUBLISHED_STATUSES, SCHEMA_VERSION, PublishedRecord
from .scicat_defaults import (
    DEFAULT_CONTRIBUTOR_TYPE,
    DEFAULT_RELATION,
    completed_contributors,
    completed_related,
    related_identifier,
    with_affiliation,
)
from .text import clean_tree

# DataCite's resourceTypeGeneral vocabulary, as the 4.7 schema lists it.
RESOURCE_TYPES_GENERAL = list(datacite47.SCHEMA["definitions"]["resourceTypeGeneral"]["enum"])
_GENERAL_BY_LOWER = {t.lower(): t for t in RESOURCE_TYPES_GENERAL}

# DataCite properties a v4 `metadata` object may carry through unchanged.
_PASSTHROUGH = [
    "subjects",
    "contributors",
    "dates",
    "language",
    "alternateIdentifiers",
    "relatedIdentifiers",
    "relatedItems",
    "sizes",
    "formats",
    "version",
    "rightsList",
    "descriptions",
    "geoLocations",
    "fundingReferences",
]
# Compiled once: re's own cache is a dict lookup and a flags check per call, twice a record.
_YEAR_DIGITS = re.compile(r"[0-9]{1,9}")
_DATE_START = re.compile(r"^\d{4}-\d{2}-\d{2}")
_CREATOR_KEYS = (
    "name",
    "nameType",
    "givenName",
    "familyName",
    "nameIdentifiers",
    "affiliation",
    "lang",
)


class _Problems(list[FieldProblem]):
    def add(self, field: str, message: str) -> None:
        self.append(FieldProblem(field, message))


def _text(doc: dict, key: str, problems: _Problems, path: str, required: bool) -> str | None:
    value = doc.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.add(path, "is required and must be a non-empty string")
        return None
    if not isinstance(value, str):
        problems.add(path, f"must be a string, not {type(value).__name__}")
        return None
    return value


def _count(doc: dict, key: str, problems: _Problems) -> int | None:
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        problems.add(key, "must be a non-negative integer")
        return None
    return value


def _year(value: Any, path: str, problems: _Problems) -> str | None:
    # ASCII digits only: str.isdigit() also takes "²" (which int() refuses) and numbers past int's digit limit.
    if isinstance(value, str) and _YEAR_DIGITS.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(path, "is required and must be a four-digit year")
        return None
    if not 1000 <= value <= 9999:
        problems.add(path, f"{value} is not a four-digit year")
        return None
    return str(value)


def _string_list(doc: dict, key: str, problems: _Problems) -> list[str]:
    value = doc.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(key, "must be a list of strings")
        return []
    return [v for v in value if v.strip()]


def _types(resource_type: Any, general: Any = None) -> dict[str, str]:
    text = resource_type if isinstance(resource_type, str) and resource_type.strip() else None
    if isinstance(general, str) and general.lower() in _GENERAL_BY_LOWER:
        chosen = _GENERAL_BY_LOWER[general.lower()]
    elif text and text.lower() in _GENERAL_BY_LOWER:
        chosen = _GENERAL_BY_LOWER[text.lower()]
    else:
        chosen = "Dataset"  # SciCat publishes datasets: "raw", "derived", ...
    types = {"resourceTypeGeneral": chosen}
    if text:
        types["resourceType"] = text
    return types


def _v3_metadata(doc: dict, problems: _Problems) -> dict[str, Any]:
    creators = doc.get("creator")
    if not isinstance(creators, list) or not creators:
        problems.add("creator", "is required and must be a non-empty list of names")
        creators = []
    elif not all(isinstance(c, str) and c.strip() for c in creators):
        problems.add("creator", "every creator must be a non-empty string")
        creators = []
    affiliation = _text(doc, "affiliation", problems, "affiliation", False)
    meta: dict[str, Any] = {"creators": [split_name(c.strip()) for c in creators]}
    if affiliation:
        for creator in meta["creators"]:
            creator["affiliation"] = [{"name": affiliation}]
    publisher = _text(doc, "publisher", problems, "publisher", True)
    if publisher:
        meta["publisher"] = {"name": publisher}
    meta["publicationYear"] = _year(doc.get("publicationYear"), "publicationYear", problems)
    meta["types"] = _types(doc.get("resourceType"))
    known = {c.lower() for c in creators if isinstance(c, str)}
    others = [a for a in _string_list(doc, "authors", problems) if a.lower() not in known]
    if others:
        meta["contributors"] = [{**split_name(a), "contributorType": DEFAULT_CONTRIBUTOR_TYPE} for a in others]
    related = [related_identifier(p, "HasPart") for p in _string_list(doc, "pidArray", problems)]
    related += [related_identifier(p, DEFAULT_RELATION) for p in _string_list(doc, "relatedPublications", problems)]
    if related:
        meta["relatedIdentifiers"] = related
    return meta


def _shallow(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def _v4_metadata(doc: dict, problems: _Problems) -> dict[str, Any]:
    source = doc["metadata"]
    # No deep copies: from_scicat ends with clean_tree, which copies the whole tree; only the
    # top-level lists that are appended to before that (dates, sizes) must not be the payload's.
    meta: dict[str, Any] = {k: _shallow(source[k]) for k in _PASSTHROUGH if k in source}
    creators = source.get("creators")
    if not isinstance(creators, list) or not creators:
        problems.add("metadata.creators", "is required and must be a non-empty list")
        creators = []
    out = []
    for i, creator in enumerate(creators):
        if not isinstance(creator, dict) or not isinstance(creator.get("name"), str) or not creator["name"].strip():
            problems.add(f"metadata.creators[{i}].name", "is required and must be a non-empty string")
            continue
        out.append(with_split_name({k: creator[k] for k in _CREATOR_KEYS if k in creator}))
    # SciCat's migration keeps v3's record-wide `affiliation` in metadata: give it to creators without one.
    meta["creators"] = with_affiliation(out, source.get("affiliation"))
    names = {
        " ".join(c["name"].split()).lower() for c in creators if isinstance(c, dict) and isinstance(c.get("name"), str)
    }
    names |= {c["name"].lower() for c in out}
    if "contributors" in meta:
        meta["contributors"] = completed_contributors(meta["contributors"], names)
    publisher = source.get("publisher")
    if isinstance(publisher, str) and publisher.strip():
        meta["publisher"] = {"name": publisher}
    elif isinstance(publisher, dict) and isinstance(publisher.get("name"), str) and publisher["name"].strip():
        meta["publisher"] = publisher
    else:
        problems.add("metadata.publisher.name", "is required and must be a non-empty string")
    meta["publicationYear"] = _year(source.get("publicationYear"), "metadata.publicationYear", problems)
    meta["types"] = _types(source.get("resourceType"), source.get("resourceTypeGeneral"))
    related = completed_related(meta.get("relatedIdentifiers"))
    if related is not None and not isinstance(related, list):
        problems.add("metadata.relatedIdentifiers", "must be a list")
        related = []
    pids = [related_identifier(p, "HasPart") for p in _string_list(doc, "datasetPids", problems)]
    if related is not None:
        meta["relatedIdentifiers"] = related
    if pids:
        seen = {
            r.get("relatedIdentifier")
            for r in related or []
            if isinstance(r, dict) and isinstance(r.get("relatedIdentifier"), str)
        }
        meta["relatedIdentifiers"] = (related or []) + [p for p in pids if p["relatedIdentifier"] not in seen]
    return meta


def _descriptions(meta: dict, abstract: str | None, technical: str | None, problems: _Problems) -> None:
    existing = meta.get("descriptions", [])
    if not isinstance(existing, list):
        problems.add("metadata.descriptions", "must be a list")
        existing = []
    extra = []
    if abstract and not any(isinstance(d, dict) and d.get("descriptionType") == "Abstract" for d in existing):
        extra.append({"description": abstract, "descriptionType": "Abstract"})
    if technical and not any(isinstance(d, dict) and d.get("description") == technical for d in existing):
        extra.append({"description": technical, "descriptionType": "TechnicalInfo"})
    if extra or existing:
        meta["descriptions"] = extra + existing


def _issued(meta: dict, registered: Any) -> None:
    if not isinstance(registered, str) or not _DATE_START.match(registered):
        return
    dates = meta.setdefault("dates", [])
    if isinstance(dates, list) and not any(isinstance(d, dict) and d.get("dateType") == "Issued" for d in dates):
        dates.append({"date": registered[:10], "dateType": "Issued"})


def _sizes(meta: dict, files: int | None, size: int | None) -> None:
    sizes = meta.get("sizes", [])
    if not isinstance(sizes, list):
        return
    if files is not None:
        sizes.append(f"{files} files")
    if size is not None:
        sizes.append(f"{size} bytes")
    if sizes:
        meta["sizes"] = list(dict.fromkeys(sizes))


def _schema_problems(meta: dict) -> list[FieldProblem]:
    return [FieldProblem(path, message) for path, message in datacite47.problems(meta)]


def _extras(
    doc: dict, meta_source: dict, files: int | None, size: int | None, image: thumbnail.Thumbnail | None
) -> dict[str, Any]:
    extras: dict[str, Any] = {
        "sourceShape": "v4" if "metadata" in doc else "v3",
        "status": doc.get("status") or "public",
        "datasetPids": [p for p in doc.get("datasetPids") or doc.get("pidArray") or [] if isinstance(p, str)],
    }
    for key, value in (("numberOfFiles", files), ("sizeOfArchive", size)):
        if value is not None:
            extras[key] = value
    for key in ("pid", "registeredTime"):
        if isinstance(doc.get(key), str):
            extras[key] = doc[key]
    # v3 keeps these at the top level; SciCat's v3->v4 migration moved them into `metadata`.
    for key in ("url", "downloadLink", "landingPage"):
        value = doc.get(key) or meta_source.get(key)
        if isinstance(value, str):
            extras[key] = value
    if image is not None:
        extras["thumbnail"] = thumbnail.described(image)
    return extras


def from_scicat(document: Any, doi: str | None = None, plain: bool = False) -> PublishedRecord:
    """Return the canonical record of a SciCat PublishedData document, or raise InvalidRecord.

    `doi` is the DOI named by the URL, if any; the document's own DOI must agree with it. `plain` says
    the caller knows the document is plain JSON (compact_json.is_plain; its parse found no float).
    """
    if not isinstance(document, dict):
        raise InvalidRecord([FieldProblem("/", "the body must be a JSON object (a PublishedData document)")])
    problems = _Problems()
    raw_doi = document.get("doi", doi)
    key = None
    try:
        the_doi = normalize_doi(raw_doi)
        key = fold_doi(the_doi)
        # The URL's DOI is nearly always the document's own text: normalised just above, not a second time.
        if doi is not None and doi != raw_doi and doi_key(doi) != key:
            problems.add("doi", f"{the_doi!r} does not match the DOI in the URL ({doi!r})")
    except InvalidDOI as exc:
        problems.extend(exc.problems)
        the_doi = None
    status = document.get("status")
    if status is not None and not isinstance(status, str):
        problems.add("status", "must be a string")
    elif status == "private":
        raise NotPublishable(
            [FieldProblem("status", "private records are not published")],
            title="private records are not published",
        )
    elif status is not None and status not in PUBLISHED_STATUSES:
        problems.add("status", f"{status!r} is not one of {', '.join(sorted(PUBLISHED_STATUSES))}")
    title = _text(document, "title", problems, "title", True)
    abstract = _text(document, "abstract", problems, "abstract", False)
    files = _count(document, "numberOfFiles", problems)
    size = _count(document, "sizeOfArchive", problems)
    meta_source = document.get("metadata")
    if meta_source is not None and not isinstance(meta_source, dict):
        problems.add("metadata", "must be a JSON object")
        meta_source = None
    if meta_source is not None:
        meta = _v4_metadata(document, problems)
        technical = _text(meta_source, "dataDescription", problems, "metadata.dataDescription", False)
    else:
        meta = _v3_metadata(document, problems)
        technical = _text(document, "dataDescription", problems, "dataDescription", False)
        meta_source = {}
    if problems:
        raise InvalidRecord(list(problems))
    extra_titles = [t for t in meta_source.get("titles", []) if isinstance(t, dict) and t.get("title") != title]
    meta = {"doi": the_doi, "titles": [{"title": title}, *extra_titles], **meta}
    _descriptions(meta, abstract, technical, problems)
    _issued(meta, document.get("registeredTime"))
    _sizes(meta, files, size)
    meta["schemaVersion"] = SCHEMA_VERSION
    meta = clean_tree(meta)
    problems.extend(_schema_problems(meta))
    if problems or the_doi is None:  # a bad DOI is always among the problems
        raise InvalidRecord(list(problems))
    # Decoded once: the writer stores the image the record's extras describe (a data URL may be ~100 kB).
    image = thumbnail.read(thumbnail.source(document))
    # The extras' containers are made by _extras (its values strings and ints): not copied when clean (~8 K).
    extras = clean_tree(_extras(document, meta_source, files, size, image), fresh=True)
    # Metadata and extras are made of the document's values, strings, ints, dicts and lists: plain if it is.
    # Filled (tests/test_scicat_records.py holds it equal), its key (a cached property) too: normalize_doi's answer
    # normalises to itself, so doi_key(the_doi) would only work this one out again (~10 K of 1.15 M instructions).
    fields = {"doi": the_doi, "metadata": meta, "extras": extras, "payload": document, "known_plain": plain}
    return frozen.filled(PublishedRecord, {}, **fields, image=image, key=key)
