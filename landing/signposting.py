"""FAIR Signposting: level 1 as HTTP Link headers, level 2 as an RFC 9264 linkset."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from download_cache.state import STAGED

from .downloads import Downloads
from .exports import EXPORTS
from .page import RecordPage

LINKSET_TYPE = "application/linkset+json"
MAX_LINKS = 5  # more authors or items than this and the header carries only the linkset link
TYPES = ("https://schema.org/Dataset", "https://schema.org/AboutPage")
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_URI_SAFE = ":/?#[]@!$&'()*+,;=%~"
# Exactly the characters quote() keeps with _URI_SAFE: letters, digits, "_.-~" and the safe ones.
_PLAIN_URI = re.compile(r"[A-Za-z0-9_.\-~:/?#\[\]@!$&'()*+,;=%]*")


def linkset_url(page: RecordPage) -> str:
    """Return the absolute URL of the record's linkset."""
    return page.export_url("linkset")


def _target(href: str, media_type: str | None = None) -> dict[str, str]:
    return {"href": _uri(href), **({"type": media_type} if media_type else {})}


def relations(page: RecordPage) -> dict[str, list[dict[str, str]]]:
    """Return the landing page's typed links, by relation type."""
    rels = static_relations(page)
    if page.downloads is not None and page.downloads.state == STAGED:
        rels["item"] = item_targets(page.downloads)
    return rels


def static_relations(page: RecordPage) -> dict[str, list[dict[str, str]]]:
    """Return the typed links that change only with the record (all but the staged files)."""
    rels: dict[str, list[dict[str, str]]] = {
        "cite-as": [_target(page.doi_url)],
        "describedby": [_target(page.export_url(e.name), e.media_type) for e in EXPORTS],
        "type": [_target(t) for t in TYPES],
    }
    if page.orcids:
        rels["author"] = [_target(url) for url in page.orcids]
    if page.license_urls:
        rels["license"] = [_target(url) for url in page.license_urls]
    return rels


def item_targets(downloads: Downloads | None) -> list[dict[str, str]]:
    """Return the staged files as link targets (none unless staged)."""
    if downloads is None or downloads.state != STAGED:
        return []
    return [_target(f.url, f.media_type) for f in downloads.all_files]


def _uri(href: str) -> str:
    """Return the link as an ASCII URI (RFC 8288, RFC 9264): IRIs and stray % from metadata are %-encoded."""
    if _PLAIN_URI.fullmatch(href) and ("%" not in href or not _STRAY_PERCENT.search(href)):
        return href  # what quote() would return unchanged: a page has a dozen links, most of them plain
    return quote(_STRAY_PERCENT.sub("%25", href), safe=_URI_SAFE)


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


@dataclass(frozen=True)
class StaticLinks:
    """The Link header values that change only with the record, kept with the page's write-time parts."""

    links: tuple[str, ...]
    linkset: str
    too_many: bool  # more authors than MAX_LINKS: the header carries only the linkset link


def _params(rel: str, media_type: str | None) -> str:
    """Return a link's parameters after its <target>: the relation, then the media type if any."""
    return f'; rel="{rel}"; type="{_quote(media_type)}"' if media_type else f'; rel="{rel}"'


# static_relations' fixed links as _values writes them; an export's link is the page's URL plus "/name".
_TYPE_LINKS = tuple(f'<{_uri(t)}>; rel="type"' for t in TYPES)
_EXPORT_TAILS = tuple(f"/{_uri(e.name)}>{_params('describedby', e.media_type)}" for e in EXPORTS)


def static_links(page: RecordPage) -> StaticLinks:
    """Return the page's Link header values but the staged files', as _values(static_relations(page)) writes them."""
    # Written directly, not through the relations' dicts: ~15 % of a record's write-time page parts before.
    # _uri of the page's URL once: "/" + a plain export name after it quotes as it stands (and ends a stray %).
    landing = "<" + _uri(page.landing_url)
    orcids = page.orcids
    links = (
        f'<{_uri(page.doi_url)}>; rel="cite-as"',
        *map(landing.__add__, _EXPORT_TAILS),  # a C loop: the comprehension was ~1 % of a record's write
        *_TYPE_LINKS,
        *[f'<{url}>; rel="author"' for url in orcids],  # model._orcid_link's: what _uri leaves as it is
        *[f'<{_uri(url)}>; rel="license"' for url in page.license_urls],
    )
    linkset = f'<{linkset_url(page)}>; rel="linkset"; type="{LINKSET_TYPE}"'
    return StaticLinks(links, linkset, len(orcids) > MAX_LINKS)


def _values(rels: dict[str, list[dict[str, str]]]) -> list[str]:
    links = []
    for rel, targets in rels.items():
        for target in targets:
            links.append(f"<{target['href']}>{_params(rel, target.get('type'))}")
    return links


def header(static: StaticLinks, downloads: Downloads | None) -> str:
    """Return the Link header of the landing page (one linkset link when the set is large)."""
    items = item_targets(downloads)
    if static.too_many or len(items) > MAX_LINKS:
        return static.linkset
    return ", ".join([*static.links, *_values({"item": items}), static.linkset])


def link_header(page: RecordPage) -> str:
    """Return the Link header of the landing page."""
    return header(static_links(page), page.downloads)


def tombstone_link_header(page: RecordPage) -> str:
    """Return the Link header of a withdrawn record: its DOI stays citable, nothing else."""
    return f'<{page.doi_url}>; rel="cite-as"'


def linkset(page: RecordPage) -> dict[str, Any]:
    """Return the level 2 linkset: the page's links, plus each file's and export's way back."""
    landing = _target(page.landing_url, "text/html")
    contexts: list[dict[str, Any]] = [{"anchor": landing["href"], **relations(page)}]
    downloads = page.downloads
    if downloads is not None and downloads.state == STAGED:
        contexts += [{"anchor": f.url, "collection": [landing]} for f in downloads.all_files]
    contexts += [{"anchor": page.export_url(e.name), "describes": [landing]} for e in EXPORTS]
    return {"linkset": contexts}
