"""The schema.org Dataset description of a record, as search engines and data catalogues read it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from download_cache.state import STAGED

from . import model
from .downloads import Downloads
from .page import RecordPage

FILES_DESCRIBED = 50  # distribution lists the ZIP plus at most this many single files
# Google's Dataset rich results take descriptions of 50 to 5000 characters and drop the dataset otherwise.
DESCRIPTION_MIN, DESCRIPTION_MAX = 50, 5000


def _organization(affiliation: model.Affiliation) -> dict[str, Any]:
    org: dict[str, Any] = {"@type": "Organization", "name": affiliation.name}
    if affiliation.url:
        org["@id"] = affiliation.url
        org["identifier"] = affiliation.url
    return org


def _agent(person: model.Person) -> dict[str, Any]:
    agent: dict[str, Any] = {"@type": "Person" if person.personal else "Organization", "name": person.name}
    if person.personal:
        if person.given:
            agent["givenName"] = person.given
        if person.family:
            agent["familyName"] = person.family
    if person.orcid:
        agent["@id"] = person.orcid
        agent["identifier"] = {"@type": "PropertyValue", "propertyID": "ORCID", "url": person.orcid}
    if person.affiliations:
        agent["affiliation"] = [_organization(a) for a in person.affiliations]
    return agent


def distribution(downloads: Downloads | None) -> list[dict[str, Any]]:
    """Return the DataDownload entries of the staged files (none unless staged)."""
    if downloads is None or downloads.state != STAGED:
        return []
    out: list[dict[str, Any]] = [
        {
            "@type": "DataDownload",
            "name": "Whole dataset (ZIP)",
            "contentUrl": downloads.zip_url,
            "encodingFormat": "application/zip",
        }
    ]
    for item in downloads.all_files[:FILES_DESCRIBED]:
        out.append(
            {
                "@type": "DataDownload",
                "name": item.path,
                "contentUrl": item.url,
                "encodingFormat": item.media_type,
                "contentSize": f"{item.size} B",
                "sha256": item.sha256,
            }
        )
    return out


def archive_size(extras: dict[str, Any]) -> str | None:
    """Return the size the catalogue gave the dataset, in decimal units."""
    size = extras.get("sizeOfArchive")
    return model.human_size(size) if isinstance(size, int) else None


def content_size(downloads: Downloads | None, archived: str | None) -> str | None:
    """Return the staged size when staged, else the catalogue's size (`archive_size`)."""
    if downloads is not None and downloads.state == STAGED:
        return model.human_size(downloads.total_size)
    return archived


def live_members(page: RecordPage) -> dict[str, Any]:
    """Return the members that change without a push (download area, datestamp); None leaves one out."""
    return {
        "contentSize": content_size(page.downloads, archive_size(page.record.extras)),
        "distribution": distribution(page.downloads) or None,
        "dateModified": page.record.datestamp,
    }


def description(page: RecordPage) -> str:
    """Return the abstract (or technical info), lengthened or cut to what Google accepts."""
    meta = page.meta
    text = "\n\n".join(model.descriptions(meta, "Abstract") or model.descriptions(meta, "TechnicalInfo"))
    if len(text) < DESCRIPTION_MIN:
        # A DOI has at least 9 characters, so this sentence alone is long enough.
        year = meta.get("publicationYear") or "n.d."
        kind = model.resource_type(meta).lower()
        about = f"This {kind} was published by {model.publisher(meta)} in {year} under the DOI {page.doi}."
        text = " ".join(filter(None, [text or page.title, about]))
    return text if len(text) <= DESCRIPTION_MAX else text[: DESCRIPTION_MAX - 1] + "…"


def _shared(meta: dict[str, Any]) -> dict[str, Any]:
    """Return the values dataset() reads that landing/sections.py gathers too, under its names."""
    return {
        "publisher": model.publisher(meta),
        "publisher_url": model.publisher_url(meta),
        "issued": model.issued(meta),
        "subjects": model.subjects(meta),
        "funding": model.funding(meta),
    }


def dataset(
    page: RecordPage, live: dict[str, Any] | None = None, sections: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return the schema.org Dataset of the record (JSON-LD, compact form); `live` replaces `live_members`.

    `sections`: the page's record_sections, when the caller has them (write time): not read from the metadata again.
    """
    live = live_members(page) if live is None else live
    meta = page.meta
    shared = _shared(meta) if sections is None else sections
    agents = [_agent(p) for p in page.creators]
    publisher: dict[str, Any] = {"@type": "Organization", "name": shared["publisher"]}
    if url := shared["publisher_url"]:
        publisher["@id"] = url
    out: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": page.doi_url,
        "name": page.title,
        "identifier": [
            page.doi_url,
            {"@type": "PropertyValue", "propertyID": "DOI", "value": page.doi, "url": page.doi_url},
        ],
        "url": page.landing_url,
        "creator": agents,
        "author": agents,
        "publisher": publisher,
        "datePublished": shared["issued"],
        "isAccessibleForFree": True,
    }
    out["description"] = description(page)
    if licences := page.license_urls:
        out["license"] = licences[0] if len(licences) == 1 else licences
    if keywords := shared["subjects"]:
        out["keywords"] = keywords
    if meta.get("version"):
        out["version"] = str(meta["version"])
    if meta.get("language"):
        out["inLanguage"] = meta["language"]
    for name in ("contentSize", "distribution"):
        if live[name]:
            out[name] = live[name]
    # The DOI resolves here, and SciCat's own landing page (v3 `url`) shows the same dataset.
    out["sameAs"] = [page.doi_url, *filter(None, [model.safe_url(page.record.extras.get("url"))])]
    cited = [r.url for r in page.related if r.url and r.relation.startswith(("Is supplement to", "Is cited by"))]
    if cited:
        out["citation"] = cited
    funders = [
        {"@type": "Organization", "name": f["funder"], **({"@id": f["funder_url"]} if f["funder_url"] else {})}
        for f in shared["funding"]
        if f["funder"]
    ]
    if funders:
        out["funder"] = funders
    if page.thumbnail_path:
        out["thumbnailUrl"] = page.base_url + page.thumbnail_path
    out["dateModified"] = live["dateModified"]
    out["includedInDataCatalog"] = {"@type": "DataCatalog", "url": page.base_url + "/"}
    return out
