"""Citations: DataCite's recommended form, BibTeX, RIS and CSL-JSON of one record."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from catalogue_core.urls import doi_url

from . import model
from .page import RecordPage

_BIBTEX_SPECIAL = re.compile(r"([\\{}$&#^_%~])")
# BibTeX counts braces whatever precedes them, so an escaped brace must not be a brace at all.
_BIBTEX_REPLACE = {
    "\\": r"\textbackslash{}",
    "^": r"\^{}",
    "~": r"\~{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
}
_KEY_CHARS = re.compile(r"[^A-Za-z0-9:./_-]+")
_KEY_SAFE = re.compile(r"[A-Za-z0-9:./_-]*")  # what _KEY_CHARS leaves as it is
# CSL item types of DataCite's resourceTypeGeneral; the rest are "dataset" for our records.
_CSL_TYPES = {
    "Software": "software",
    "Text": "document",
    "Image": "graphic",
    "Audiovisual": "motion_picture",
    "Report": "report",
    "JournalArticle": "article-journal",
    "Preprint": "article",
    "Dissertation": "thesis",
}
_RIS_TYPES = {"Dataset": "DATA", "Software": "COMP", "Report": "RPRT", "JournalArticle": "JOUR", "Image": "FIGURE"}
MAX_NAMED = 20  # a formatted citation lists this many creators, then "et al."


def _general(meta: dict[str, Any]) -> str:
    return (meta.get("types") or {}).get("resourceTypeGeneral") or "Dataset"


def _sentence(text: str) -> str:
    """Return text ending in a full stop unless it already ends in punctuation."""
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def datacite(doi: str, meta: dict[str, Any], creators: list[model.Person] | None = None) -> str:
    """Return DataCite's citation: Creator (Year): Title. Version. Publisher. Type. DOI link.

    `creators`: the metadata's, when the caller has them already (a page does).
    """
    people = model.creators(meta) if creators is None else creators
    return _datacite(doi, meta, people, model.title(meta), model.publisher(meta), model.resource_type(meta))


def _datacite(
    doi: str, meta: dict[str, Any], creators: list[model.Person], title: str, publisher: str, resource_type: str
) -> str:
    names = [p.name for p in creators]
    authors = "; ".join(names[:MAX_NAMED]) + ("; et al." if len(names) > MAX_NAMED else "")
    version = f" Version {meta['version']}." if meta.get("version") else ""
    year, link = meta.get("publicationYear", "n.d."), doi_url(doi)
    return f"{authors} ({year}): {_sentence(title)}{version} {_sentence(publisher)} {_sentence(resource_type)} {link}"


def _bibtex_escape(text: str) -> str:
    # A search first: most values hold none of these, and a sub with nothing to replace costs ~4x a search.
    return _BIBTEX_SPECIAL.sub(_bibtex_replacement, text) if _BIBTEX_SPECIAL.search(text) else text


def _bibtex_replacement(match: re.Match[str]) -> str:
    return _BIBTEX_REPLACE.get(match.group(1), "\\" + match.group(1))


def bibtex_key(doi: str) -> str:
    """Return a BibTeX key made of the DOI's safe characters."""
    lowered = doi.lower()
    # Most DOIs are safe characters only: one match, not a sub that copies the text (~2x the cost).
    return lowered if _KEY_SAFE.fullmatch(lowered) else _KEY_CHARS.sub("_", lowered)


def bibtex(doi: str, meta: dict[str, Any], landing_url: str, creators: list[model.Person] | None = None) -> str:
    """Return a BibTeX @misc entry; organisations are braced so BibTeX keeps them whole."""
    people = model.creators(meta) if creators is None else creators
    known = (model.title(meta), model.publisher(meta), model.subjects(meta), model.rights(meta))
    return _bibtex(doi, meta, landing_url, people, *known)


def page_citations(page: RecordPage, sections: Mapping[str, Any]) -> tuple[str, str]:
    """Return the page's DataCite citation and BibTeX entry, from the values its sections already read."""
    # The same text as datacite() and bibtex() (the exports), without reading the metadata again.
    doi, meta, creators, title, publisher = page.doi, page.meta, page.creators, page.title, sections["publisher"]
    cite = _datacite(doi, meta, creators, title, publisher, sections["resource_type"])
    bib = _bibtex(doi, meta, page.landing_url, creators, title, publisher, sections["subjects"], page.rights)
    return cite, bib


def _bibtex(
    doi: str,
    meta: dict[str, Any],
    landing_url: str,
    creators: list[model.Person],
    title: str,
    publisher: str,
    keywords: list[str],
    licences: list[tuple[str, str | None]],
) -> str:
    authors = []
    for person in creators:
        if person.personal and person.family:
            given = f", {person.given}" if person.given else ""
            authors.append(_bibtex_escape(person.family + given))
        elif person.personal and "," in person.name:
            authors.append(_bibtex_escape(person.name))
        else:
            authors.append("{" + _bibtex_escape(person.name) + "}")
    # Each field on its own line, those with an empty value left out; written in order, not as (name, value) pairs.
    # The values in the order the fields come (an odd value raises where it always did).
    author, title = " and ".join(authors), _bibtex_escape(title)
    publisher, year = _bibtex_escape(publisher), str(meta.get("publicationYear", ""))
    # biblatex reads doi and url verbatim (escapes would end up in the link); braces stay balanced.
    doi_field = doi.replace("{", "%7B").replace("}", "%7D")
    lines = [f"  author = {{{author}}}"] if author else []
    lines.append(f"  title = {{{{{title}}}}}")
    if publisher:
        lines.append(f"  publisher = {{{publisher}}}")
    if year:
        lines.append(f"  year = {{{year}}}")
    if doi_field:
        lines.append(f"  doi = {{{doi_field}}}")
    lines.append(f"  url = {{{doi_url(doi)}}},\n  howpublished = {{\\url{{{landing_url}}}}}")
    if meta.get("version") and (version := _bibtex_escape(str(meta["version"]))):
        lines.append(f"  version = {{{version}}}")
    if keywords and (joined := _bibtex_escape(", ".join(keywords))):
        lines.append(f"  keywords = {{{joined}}}")
    if licences and (licence := _bibtex_escape(licences[0][0])):
        lines.append(f"  copyright = {{{licence}}}")
    body = ",\n".join(lines)
    return f"@misc{{{bibtex_key(doi)},\n{body}\n}}\n"


def ris(doi: str, meta: dict[str, Any], landing_url: str) -> str:
    """Return the record as RIS: one reference of single-line tags, each line ending CRLF as the spec says."""

    def line(tag: str, value: Any) -> str:
        return f"{tag}  - {' '.join(str(value).split())}"

    lines = [line("TY", _RIS_TYPES.get(_general(meta), "DATA"))]
    lines += [line("AU", p.name) for p in model.creators(meta)]
    lines.append(line("TI", model.title(meta)))
    lines.append(line("PY", meta.get("publicationYear", "")))
    if (issued := model.issued(meta)) and len(issued) == 10:
        lines.append(line("DA", issued.replace("-", "/")))
    lines.append(line("PB", model.publisher(meta)))
    lines.append(line("DO", doi))
    lines.append(line("UR", doi_url(doi)))
    lines.append(line("L2", landing_url))
    lines += [line("AB", text) for text in model.descriptions(meta, "Abstract")]
    lines += [line("KW", kw) for kw in model.subjects(meta)]
    if meta.get("version"):
        lines.append(line("ET", meta["version"]))
    if meta.get("language"):
        lines.append(line("LA", meta["language"]))
    lines.append("ER  - ")
    return "\r\n".join(lines) + "\r\n"


def _date_parts(date: str) -> list[int]:
    """Return [year, month, day] as far as the date has them: leading ASCII-digit parts only.

    str.isdigit() also takes "²", which int() refuses (a 500), and skipping a bad part would shift the month
    into the year.
    """
    parts = []
    for part in date.split("-")[:3]:
        if not re.fullmatch(r"[0-9]{1,4}", part):
            break
        parts.append(int(part))
    return parts


def csl(doi: str, meta: dict[str, Any]) -> dict[str, Any]:
    """Return the record as one CSL-JSON item, as citation processors read it."""
    authors = []
    for person in model.creators(meta):
        if person.personal and person.family:
            authors.append({"family": person.family, **({"given": person.given} if person.given else {})})
        else:
            authors.append({"literal": person.name})
    item: dict[str, Any] = {
        "id": doi_url(doi),
        "type": _CSL_TYPES.get(_general(meta), "dataset"),
        "title": model.title(meta),
        "author": authors,
        "publisher": model.publisher(meta),
        "DOI": doi,
        "URL": doi_url(doi),
    }
    if date_parts := _date_parts(model.issued(meta)):  # csl-data.json: date-parts hold 1 to 3 numbers
        item["issued"] = {"date-parts": [date_parts]}
    if abstract := model.descriptions(meta, "Abstract"):
        item["abstract"] = abstract[0]
    if keywords := model.subjects(meta):
        item["keyword"] = ", ".join(keywords)
    if meta.get("version"):
        item["version"] = str(meta["version"])
    if meta.get("language"):
        item["language"] = meta["language"]
    item["genre"] = model.resource_type(meta)
    return item
