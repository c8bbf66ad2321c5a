"""The machine-readable head of a record page: canonical link, Highwire and Dublin Core tags, JSON-LD.

templates/landing/meta.html calls `record_head`: written as a template these ~40 escaped tags cost
about a fifth of a record's write-time page parts; as plain string building, a fraction of that.
tests/test_page_parts_bytes.py holds the output byte-identical to the template it replaced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import current_app
from jinja2.filters import do_truncate
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

try:  # markupsafe's private C routine behind escape(): the same text, without a Markup object per value
    from markupsafe._speedups import _escape_inner
except ImportError:  # markupsafe built without its C extension, or a release that moved it

    def _escape_inner(s: str, /) -> str:
        return str(escape(s))


from .blueprint import bp
from .exports import EXPORTS, Export
from .page import RecordPage

DESCRIPTION_LENGTH = 300  # the description tag's text, cut at a word as Jinja's `truncate` does


def html_escape(value: object) -> str:
    """Return text escaped as markupsafe.escape does, without making a Markup object per value."""
    if type(value) is not str:
        return str(escape(value))
    # markupsafe's own C routine on the plain string: ~6x cheaper than a regex test and chain of replaces
    # (a page escapes ~120 values); it hands back the very string when nothing needs escaping.
    return _escape_inner(value)


def tojson(value: Any) -> str:
    """Return a value as the templates' `tojson` filter writes it (htmlsafe JSON, the app's JSON settings)."""
    policies = current_app.jinja_env.policies
    return str(htmlsafe_json_dumps(value, dumps=policies["json.dumps_function"], **policies["json.dumps_kwargs"]))


def _abstract(meta: dict[str, Any]) -> str:
    """Return the first abstract's text, or ''."""
    for item in meta.get("descriptions") or []:
        if isinstance(item, dict) and item.get("descriptionType") == "Abstract":
            return str(item.get("description", ""))
    return ""


def _escape_exports(exports: Sequence[Export]) -> tuple[tuple[str, str, str], ...]:
    return tuple((html_escape("/" + e.name), html_escape(e.media_type), html_escape(e.label)) for e in exports)


_ESCAPED_EXPORTS = _escape_exports(EXPORTS)


def escaped_exports(exports: Sequence[Export]) -> tuple[tuple[str, str, str], ...]:
    """Return each export's escaped "/name" (its URL after the page's), media type and label."""
    # The built-in exports' once per process: the head and the body link each, three escapes per link.
    # Escaping is per character, so escape(page URL) + escape("/name") is escape(export_url(name)).
    return _ESCAPED_EXPORTS if exports is EXPORTS else _escape_exports(exports)


@bp.app_template_global("record_head")
def record_head(
    page: RecordPage,
    jsonld: dict[str, Any],
    exports: Sequence[Export],
    *,
    issued: str,
    publisher: str,
    resource_type: str,
    subjects: list[str],
    licences: list[tuple[str, str | None]],
) -> Markup:
    """Return the head's tags, each on its own line, every value escaped."""
    sections = {"issued": issued, "publisher": publisher, "resource_type": resource_type}
    tags = head_tags(page, exports, {**sections, "subjects": subjects, "licences": licences})
    return Markup(tags + ld_script(tojson(jsonld)))


def ld_script(jsonld: str) -> str:
    """Return the head's last line: the JSON-LD script of htmlsafe JSON text."""
    return f'\n<script type="application/ld+json">{jsonld}</script>'


def head_tags(page: RecordPage, exports: Sequence[Export], sections: Mapping[str, Any]) -> str:
    """Return the head's tags but the JSON-LD script, each on its own line, every value escaped.

    `sections`: landing/sections.py's values, of which issued, publisher, resource_type, subjects, licences.
    """
    # Each value escaped once though several tags show it, and the fixed tags written in runs: per-tag
    # calls and appends were most of this function's cost. Escaping is per character, so "; ".join of
    # escaped keywords is the escaped join.
    meta, creators = page.meta, page.creators
    title, doi, landing = html_escape(page.title), html_escape(page.doi), html_escape(page.landing_url)
    publisher, issued = html_escape(sections["publisher"]), html_escape(sections["issued"])
    subjects = [html_escape(subject) for subject in sections["subjects"]]
    names = [html_escape(person.name) for person in creators]
    abstract = _abstract(meta)
    escaped_abstract = html_escape(abstract)
    # Jinja's truncate leaves text within the length as it is (and its leeway is never negative).
    if len(abstract) <= DESCRIPTION_LENGTH:
        description = escaped_abstract
    else:
        description = html_escape(do_truncate(current_app.jinja_env, abstract, DESCRIPTION_LENGTH))
    out = [
        f'<link rel="canonical" href="{landing}">\n<meta name="description" content="{description}">'
        f'\n<meta name="citation_title" content="{title}">'
    ]
    for person, name in zip(creators, names, strict=True):
        out.append(f'\n<meta name="citation_author" content="{name}">')
        for aff in person.affiliations:
            out.append(f'\n<meta name="citation_author_institution" content="{html_escape(aff.name)}">')
        if person.orcid:  # model._orcid_link's https://orcid.org/ and digits, dashes, X: nothing to escape
            out.append(f'\n<meta name="citation_author_orcid" content="{person.orcid}">')
    out.append(
        f'\n<meta name="citation_publication_date" content="{issued.replace("-", "/")}">'
        f'\n<meta name="citation_publisher" content="{publisher}">\n<meta name="citation_doi" content="{doi}">'
        f'\n<meta name="citation_abstract_html_url" content="{landing}">'
    )
    if subjects:
        out.append(f'\n<meta name="citation_keywords" content="{"; ".join(subjects)}">')
    language = html_escape(meta["language"]) if meta.get("language") else ""
    if language:
        out.append(f'\n<meta name="citation_language" content="{language}">')
    out.append(
        f'\n<link rel="schema.DC" href="http://purl.org/dc/elements/1.1/">\n<meta name="DC.title" content="{title}">'
    )
    out += [f'\n<meta name="DC.creator" content="{name}">' for name in names]
    doi_url = html_escape(page.doi_url)
    out.append(
        f'\n<meta name="DC.publisher" content="{publisher}">\n<meta name="DC.date" content="{issued}">'
        f'\n<meta name="DC.identifier" content="{doi_url}">'
        f'\n<meta name="DC.type" content="{html_escape(sections["resource_type"])}">'
    )
    out += [f'\n<meta name="DC.subject" content="{subject}">' for subject in subjects]
    out += [f'\n<meta name="DC.rights" content="{html_escape(url or name)}">' for name, url in sections["licences"]]
    if abstract:
        out.append(f'\n<meta name="DC.description" content="{escaped_abstract}">')
    if language:
        out.append(f'\n<meta name="DC.language" content="{language}">')
    out.append(f'\n<link rel="cite-as" href="{doi_url}">')
    out.append(landing.join(_alternates(exports)))  # every link but its page URL is fixed: one join
    return "".join(out)


def _alternates(exports: Sequence[Export]) -> list[str]:
    """Return the export links' text around the page's escaped URL, which goes between each two items."""
    if exports is EXPORTS:
        return _ALTERNATES
    return export_runs(exports, _ALTERNATE)


def export_runs(exports: Sequence[Export], item: tuple[str, str]) -> list[str]:
    """Return a list of export links as the text around the page's escaped URL, to join with it.

    `item`: the text before the URL and after it, with {name}, {kind} and {label} (escaped) to fill.
    """
    runs, after = [], ""
    for name, kind, label in escaped_exports(exports):
        runs.append(after + item[0].format(kind=kind, label=label))
        after = item[1].format(name=name, kind=kind, label=label)
    return [*runs, after] if runs else [""]


_ALTERNATE = ('\n<link rel="alternate" type="{kind}" href="', '{name}" title="{label}">')
_ALTERNATES = export_runs(EXPORTS, _ALTERNATE)  # the built-in exports' runs, once per process
