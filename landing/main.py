"""The record-specific body of a record page (kicker, bylines, sections, citation and details cards).

templates/landing/record_main.html calls `record_main`, so a facility's own record_main.html still wins:
written as a template, its ~100 escaped values and tests were ~40 % of a record's write-time page parts;
as plain string building, a fraction of that. tests/test_record_main_bytes.py holds the output
byte-identical to the template it replaced (kept as tests/templates/record_main_jinja.html).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, Protocol

from flask import request, url_for
from jinja2 import pass_context
from jinja2.filters import do_urlencode
from jinja2.runtime import Context
from markupsafe import Markup

from .blueprint import asset_url, bp
from .context import frames
from .exports import EXPORTS, Export
from .filters import paragraph_html, thousands
from .head import export_runs
from .head import html_escape as esc
from .page import RecordPage

_ORCID_PREFIX = "https://orcid.org/"


class Values(Protocol):
    """The values landing/sections.py gathers, by name: its dict, or the template context holding them."""

    def __getitem__(self, name: str, /) -> Any: ...


def _differs(subtype: Any, general: str) -> bool:
    """Return whether the resource subtype is shown beside the general type (as the `lower` filter compares)."""
    return bool(subtype) and str(subtype).lower() != general.lower()


def _slot(value: Any) -> str:
    """Return a slot's value escaped; a Markup one (what parts.py passes) as it is, without escape()'s ~1 us."""
    return str(value) if type(value) is Markup else esc(value)


def _kicker(out: list[str], page: RecordPage, s: Values, types: tuple[str, str]) -> None:
    meta = page.meta
    general, subtype = types
    out.append(f'  <p class="kicker">\n    <span class="badge">{general}</span>')
    if subtype:
        out.append(f'<span class="badge">{subtype}</span>')
    out.append(f"\n    <span>Published {esc(s['issued'])}</span>")
    if meta.get("version"):
        out.append(f"<span>Version {esc(meta['version'])}</span>")
    if s["pending"]:
        out.append('<span class="badge pending">DOI registration pending</span>')
    out.append(f'\n  </p>\n  <h1 class="title" id="record-title">{esc(page.title)}</h1>')
    for kind, text in s["other_titles"]:
        out.append(f'\n  <p class="subtitle"><span class="visually-hidden">{esc(kind)}: </span>{esc(text)}</p>')


def _creators(out: list[str], s: Values, orcid_img: str) -> None:
    affiliations = s["affiliations"]
    numbered = len(affiliations) > 1
    out.append('\n  <ul class="creators" aria-label="Creators">')
    for line in s["bylines"]:
        person = line.person
        head, _, tail = person.name.rpartition(" ")
        out.append(f'\n    <li>{esc(head)}{" " if head else ""}<span class="person">{esc(tail)}')
        if orcid := person.orcid:
            # model._orcid_link writes it: https://orcid.org/ and digits, dashes, X, which escaping leaves as they are.
            shown = orcid.replace(_ORCID_PREFIX, "")
            out.append(
                f'<a class="orcid" href="{orcid}" title="ORCID {shown}"><img src="{orcid_img}"'
                f' alt="ORCID iD of {esc(person.name)}" width="16" height="16"></a>'
            )
        if line.marks and numbered:
            out.append(f"<sup>{esc(','.join(map(str, line.marks)))}</sup>")
        out.append("</span></li>")
    out.append("\n  </ul>")
    if affiliations:
        out.append('\n  <ul class="affiliations" aria-label="Affiliations">')
        for index, aff in enumerate(affiliations, 1):
            mark = f"<sup>{index}</sup> " if numbered else ""
            name = f'<a href="{esc(aff.url)}">{esc(aff.name)}</a>' if aff.url else esc(aff.name)
            out.append(f"\n    <li>{mark}{name}</li>")
        out.append("\n  </ul>")


def _descriptions(out: list[str], s: Values) -> None:
    for index, (heading, texts) in enumerate(s["descriptions"], 1):
        prose = paragraph_html(texts[0]) if len(texts) == 1 else "".join([paragraph_html(t) for t in texts])
        out.append(
            f'\n  <section aria-labelledby="sec-{index}">\n    <h2 id="sec-{index}">{esc(heading)}</h2>'
            f'\n    <div class="prose">{prose}</div>\n  </section>'
        )


def index_url() -> str:
    """Return the escaped link of the site's index, once per script root (url_for costs ~a tenth of a body)."""
    key = ("index url", request.script_root)
    memo = frames()
    if (found := memo.get(key)) is None:
        found = memo[key] = esc(url_for("landing.index"))
    return str(found)


# What Jinja's urlencode (quote with "/" safe) leaves as it is, and the space it writes as %20.
_PLAIN_QUERY = re.compile(r"[A-Za-z0-9_.~/ -]*")


def _query(subject: Any) -> str:
    """Return a keyword as Jinja's urlencode filter writes it; plain words without its quoting (most keywords)."""
    if type(subject) is str and _PLAIN_QUERY.fullmatch(subject):
        return subject.replace(" ", "%20")
    return str(do_urlencode(subject))


@lru_cache(maxsize=4096)  # a facility's keywords recur across its records: each chip written once
def _chip(subject: Any, index_url: str) -> str:
    return f'<li><a href="{index_url}?q={esc(_query(subject))}">{esc(subject)}</a></li>'


def _keywords(out: list[str], subjects: Sequence[Any], index_url: str) -> None:
    if not subjects:
        return
    out.append(
        '\n  <section aria-labelledby="sec-keywords">\n    <h2 id="sec-keywords">Keywords</h2>\n    <ul class="chips">'
    )
    out += [_chip(s, index_url) if type(s) is str else _chip.__wrapped__(s, index_url) for s in subjects]
    out.append("\n    </ul>\n  </section>")


def _list_section(out: list[str], name: str, heading: str, items: list[str]) -> None:
    """Append a section of plain list items; nothing without items."""
    if items:
        out.append(
            f'\n  <section aria-labelledby="sec-{name}">\n    <h2 id="sec-{name}">{heading}</h2>'
            f'\n    <ul class="plain">{"".join(items)}\n    </ul>\n  </section>'
        )


def _related(out: list[str], s: Values) -> None:
    items = []
    for item in s["related"]:
        ident = esc(item.identifier)
        shown = (
            f'<a class="ident" href="{esc(item.url)}">{ident}</a>'
            if item.url
            else f'<span class="ident">{ident}</span>'
        )
        items.append(
            f'\n      <li><span class="relation">{esc(item.relation)}</span> {shown}'
            f'<span class="scheme">{esc(item.scheme)}</span></li>'
        )
    _list_section(out, "related", "Related works", items)


def _funding(out: list[str], s: Values) -> None:
    items = []
    for fund in s["funding"]:
        funder = esc(fund["funder"])
        if fund["funder_url"]:
            funder = f'<a href="{esc(fund["funder_url"])}">{funder}</a>'
        line = f"\n      <li>{funder}"
        if fund["award"]:
            award = esc(fund["award"])
            if fund["award_url"]:
                award = f'<a href="{esc(fund["award_url"])}">{award}</a>'
            else:
                award = f'<span class="mono">{award}</span>'
            line += f", grant {award}"
        if fund["award_title"]:
            line += f": <em>{esc(fund['award_title'])}</em>"
        items.append(line + "</li>")
    _list_section(out, "funding", "Funding", items)


def _contributors(out: list[str], s: Values, orcid_img: str) -> None:
    items = []
    for person in s["contributors"]:
        role = f'<span class="relation">{esc(person.role)}</span> ' if person.role else ""
        line = f"\n      <li>{role}{esc(person.name)}"
        if person.orcid:
            line += (
                f'<a class="orcid" href="{esc(person.orcid)}"><img src="{orcid_img}"'
                f' alt="ORCID iD of {esc(person.name)}" width="16" height="16"></a>'
            )
        if person.affiliations:
            line += f' <span class="scheme">{esc("; ".join([str(a.name) for a in person.affiliations]))}</span>'
        items.append(line + "</li>")
    _list_section(out, "contributors", "Contributors", items)


_CITE_HEAD = (
    '\n<aside class="record-side" aria-label="Citation and details">'
    '\n  <section class="card" aria-labelledby="side-cite">\n    <h2 id="side-cite">Cite as</h2>'
)


def _cite_card(out: list[str], landing: str, citation: Any, bibtex: Any, exports: Sequence[Export]) -> None:
    out.append(
        f'{_CITE_HEAD}\n    <p class="citation">{esc(citation)}</p>\n    <details>\n      <summary>BibTeX</summary>'
        f'\n      <pre class="bibtex">{esc(bibtex)}</pre>\n    </details>'
        '\n    <ul class="exports" aria-label="Export the citation">'
    )
    # Every link but its page URL is fixed: the built-in exports' links are one join around the URL.
    runs = _EXPORT_RUNS if exports is EXPORTS else export_runs(exports, _EXPORT_ITEM)
    out.append(landing.join(runs))
    out.append("\n    </ul>\n  </section>\n")


_EXPORT_ITEM = ('<li><a href="', '{name}" type="{kind}">{label}</a></li>')
_EXPORT_RUNS = export_runs(EXPORTS, _EXPORT_ITEM)  # the built-in exports', once per process


def _facts(out: list[str], page: RecordPage, s: Values, types: tuple[str, str], doi_url: str, updated: str) -> None:
    meta = page.meta
    out.append('\n  <section class="card" aria-labelledby="side-details">\n    <h2 id="side-details">Details</h2>')
    if s["thumbnail"]:
        out.append(f'<img class="thumb" src="{esc(s["thumbnail"])}" alt="Preview image of the dataset">')
    publisher = esc(s["publisher"])
    if s["publisher_url"]:
        publisher = f'<a href="{esc(s["publisher_url"])}">{publisher}</a>'
    # A missing key is Jinja's Undefined (shown as nothing); a present None shows as "None".
    year = esc(meta["publicationYear"]) if "publicationYear" in meta else ""
    general, subtype = types
    out.append(
        f'\n    <dl class="facts">\n      <dt>DOI</dt><dd><a href="{doi_url}">{esc(page.doi)}</a></dd>'
        f"\n      <dt>Publisher</dt><dd>{publisher}</dd>\n      <dt>Publication year</dt><dd>{year}</dd>"
        f"\n      <dt>Resource type</dt><dd>{general}{f' ({subtype})' if subtype else ''}</dd>"
    )
    if meta.get("version"):
        out.append(f"<dt>Version</dt><dd>{esc(meta['version'])}</dd>")
    if s["language"]:
        out.append(f"<dt>Language</dt><dd>{esc(s['language'])}</dd>")
    for name, url in s["licences"]:
        shown = f'<a href="{esc(url)}" rel="license">{esc(name)}</a>' if url else esc(name)
        out.append(f"<dt>Licence</dt><dd>{shown}</dd>")
    if (files := s["number_of_files"]) is not None:
        out.append(f"<dt>Files</dt><dd>{esc(thousands(files))}</dd>")
    if s["size"]:
        out.append(f"<dt>Size</dt><dd>{esc(s['size'])}</dd>")
    out += [f"<dt>{esc(kind)}</dt><dd>{esc(when)}</dd>" for kind, when in s["dates"]]
    out += [f"<dt>Place</dt><dd>{esc(place)}</dd>" for place in s["places"]]
    if pids := page.dataset_pids:
        codes = "<br>".join([f'<code class="ident">{esc(pid)}</code>' for pid in pids])
        out.append(f"<dt>Dataset PID{'s' if len(pids) > 1 else ''}</dt><dd>{codes}</dd>")
    if url := s["catalogue_url"]:
        out.append(f'<dt>Catalogue entry</dt><dd><a href="{esc(url)}">{esc(url)}</a></dd>')
    out.append(f"\n      <dt>Record updated</dt><dd>{updated}</dd>\n    </dl>\n  </section>\n</aside>\n</div>")


@bp.app_template_global("record_main")
@pass_context
def record_main_global(context: Context) -> Markup:
    """Return the page body of the calling template's context (the names record_main.html always had)."""
    # The context is the sections' mapping itself: no dict of ~25 names built per page.
    page, slots, exports = context["page"], context["slots"], context["exports"]
    return Markup(record_main(page, slots, context["citation"], context["bibtex"], exports, context))


def record_main(
    page: RecordPage,
    slots: Mapping[str, Any],
    citation: Any,
    bibtex: Any,
    exports: Sequence[Export],
    sections: Values,
    urls: tuple[str, str] | None = None,
) -> str:
    """Return the record's page body, every value escaped, the slots as given (HTML: Markup it for a template).

    `urls`: the escaped ORCID image and site index URLs, when the caller has them (write time); else read here.
    """
    orcid_img, index = urls or (esc(asset_url("orcid.svg")), index_url())  # once per page, not per use
    doi_url = esc(page.doi_url)
    general, subtype = sections["resource_type"], sections["resource_subtype"]
    # The kicker and the facts both show the types: escaped and compared once.
    types = (esc(general), esc(subtype) if _differs(subtype, general) else "")
    out = ['<div class="wrap record">\n<article class="record-main" aria-labelledby="record-title">\n']
    _kicker(out, page, sections, types)
    _creators(out, sections, orcid_img)
    out.append(
        f'\n  <p class="doi-line"><a class="doi" href="{doi_url}"><span class="label">DOI</span>'
        f'<span class="value">{doi_url}</span></a>'
        '\n    <span class="jump"><a href="#side-cite">Cite</a><a href="#files">Files</a></span></p>'
    )
    _descriptions(out, sections)
    out.append(f"\n\n  {_slot(slots['downloads'])}")
    _keywords(out, sections["subjects"], index)
    _related(out, sections)
    _funding(out, sections)
    _contributors(out, sections, orcid_img)
    out.append("\n</article>\n")
    _cite_card(out, esc(page.landing_url), citation, bibtex, exports)
    _facts(out, page, sections, types, doi_url, _slot(slots["updated"]))
    return "".join(out)  # a plain string: write time keeps it as one (Markup() cost ~1 us and a copy)
