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


def _tag(name: str, content: object) -> str:
    return f'\n<meta name="{name}" content="{html_escape(content)}">'


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
    issued, publisher, subjects = sections["issued"], sections["publisher"], sections["subjects"]
    resource_type, licences = sections["resource_type"], sections["licences"]
    meta = page.meta
    abstract = _abstract(meta)
    description = do_truncate(current_app.jinja_env, abstract, DESCRIPTION_LENGTH)
    out = [f'<link rel="canonical" href="{html_escape(page.landing_url)}">', _tag("description", description)]
    out.append(_tag("citation_title", page.title))
    for person in page.creators:
        out.append(_tag("citation_author", person.name))
        out += [_tag("citation_author_institution", aff.name) for aff in person.affiliations]
        if person.orcid:
            out.append(_tag("citation_author_orcid", person.orcid))
    out.append(_tag("citation_publication_date", issued.replace("-", "/")))
    out += [_tag("citation_publisher", publisher), _tag("citation_doi", page.doi)]
    out.append(_tag("citation_abstract_html_url", page.landing_url))
    if subjects:
        out.append(_tag("citation_keywords", "; ".join(subjects)))
    if meta.get("language"):
        out.append(_tag("citation_language", meta["language"]))
    out.append('\n<link rel="schema.DC" href="http://purl.org/dc/elements/1.1/">')
    out.append(_tag("DC.title", page.title))
    out += [_tag("DC.creator", person.name) for person in page.creators]
    out += [_tag("DC.publisher", publisher), _tag("DC.date", issued), _tag("DC.identifier", page.doi_url)]
    out.append(_tag("DC.type", resource_type))
    out += [_tag("DC.subject", subject) for subject in subjects]
    out += [_tag("DC.rights", url or name) for name, url in licences]
    if abstract:
        out.append(_tag("DC.description", abstract))
    if meta.get("language"):
        out.append(_tag("DC.language", meta["language"]))
    out.append(f'\n<link rel="cite-as" href="{html_escape(page.doi_url)}">')
    landing = html_escape(page.landing_url)
    for name, media_type, label in escaped_exports(exports):
        out.append(f'\n<link rel="alternate" type="{media_type}" href="{landing}{name}" title="{label}">')
    return "".join(out)
