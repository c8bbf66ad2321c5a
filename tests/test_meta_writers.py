"""The page head's tags, citations and stored parts, written cheaper, are byte for byte what 42c35b3 wrote.

42c35b3's writers are kept here verbatim (head tags, DataCite citation, BibTeX, Parts.dumps); the page's
citations must also equal the exports' (citation.datacite and citation.bibtex read the metadata).
Records: the shared corpus and the tests' own, under both base URLs, and random records with hostile
values (markup, quotes, backslashes, TeX specials, non-BMP, control and RTL characters).
"""

from __future__ import annotations

import copy
import random
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from typing import Any

import pytest
from flask import current_app
from jinja2.filters import do_truncate
from test_jsonld_text import _corpus_pages, _extras, _metadata, _page
from test_page_parts_bytes import BASES, _documents

from catalogue_core import compact_json
from catalogue_core.errors import InvalidRecord
from catalogue_core.scicat import from_scicat
from catalogue_core.store import StoredRecord
from catalogue_core.urls import doi_url
from landing import citation, model, signposting
from landing.exports import EXPORTS, Export
from landing.head import DESCRIPTION_LENGTH, _abstract, escaped_exports, head_tags, html_escape
from landing.page import RecordPage
from landing.parts import Parts, render, written_page
from landing.sections import record_sections
from oai_server import create_app

ODD_EXPORTS = (Export('a&b"<', "x/y'", '<Label> & "q"', lambda page: ""), *EXPORTS[2:4])
HOSTILE = [
    "<b>bold</b> & \"q\" 'a'",
    "back\\slash {brace} $math$ 50% #1 a_b ^ ~ & \\textbf{x}",
    "\U0001f600 \U00010348 \u05e9\u05dc\u05d5\u05dd \u202eRTL\u202c \u2028 \u2029",
    "\x00\x01\x08\x0b\x0c\x1f\x7f\t\r\n",
    "<!--dmzpub:downloads-->",
    "-" * 301,
    "word " * 70,
    "",
]


def _old_tag(name: str, content: object) -> str:
    return f'\n<meta name="{name}" content="{html_escape(content)}">'


def _old_head_tags(page: RecordPage, exports: Sequence[Export], sections: Mapping[str, Any]) -> str:
    """Return the head's tags as 42c35b3's head_tags wrote them."""
    issued, publisher, subjects = sections["issued"], sections["publisher"], sections["subjects"]
    resource_type, licences = sections["resource_type"], sections["licences"]
    meta = page.meta
    abstract = _abstract(meta)
    description = do_truncate(current_app.jinja_env, abstract, DESCRIPTION_LENGTH)
    out = [f'<link rel="canonical" href="{html_escape(page.landing_url)}">', _old_tag("description", description)]
    out.append(_old_tag("citation_title", page.title))
    for person in page.creators:
        out.append(_old_tag("citation_author", person.name))
        out += [_old_tag("citation_author_institution", aff.name) for aff in person.affiliations]
        if person.orcid:
            out.append(_old_tag("citation_author_orcid", person.orcid))
    out.append(_old_tag("citation_publication_date", issued.replace("-", "/")))
    out += [_old_tag("citation_publisher", publisher), _old_tag("citation_doi", page.doi)]
    out.append(_old_tag("citation_abstract_html_url", page.landing_url))
    if subjects:
        out.append(_old_tag("citation_keywords", "; ".join(subjects)))
    if meta.get("language"):
        out.append(_old_tag("citation_language", meta["language"]))
    out.append('\n<link rel="schema.DC" href="http://purl.org/dc/elements/1.1/">')
    out.append(_old_tag("DC.title", page.title))
    out += [_old_tag("DC.creator", person.name) for person in page.creators]
    out += [_old_tag("DC.publisher", publisher), _old_tag("DC.date", issued)]
    out.append(_old_tag("DC.identifier", page.doi_url))
    out.append(_old_tag("DC.type", resource_type))
    out += [_old_tag("DC.subject", subject) for subject in subjects]
    out += [_old_tag("DC.rights", url or name) for name, url in licences]
    if abstract:
        out.append(_old_tag("DC.description", abstract))
    if meta.get("language"):
        out.append(_old_tag("DC.language", meta["language"]))
    out.append(f'\n<link rel="cite-as" href="{html_escape(page.doi_url)}">')
    landing = html_escape(page.landing_url)
    for name, media_type, label in escaped_exports(exports):
        out.append(f'\n<link rel="alternate" type="{media_type}" href="{landing}{name}" title="{label}">')
    return "".join(out)


def _old_datacite(doi: str, meta: dict[str, Any]) -> str:
    """Return DataCite's citation as 42c35b3's citation.datacite wrote it."""
    names = [p.name for p in model.creators(meta)]
    authors = "; ".join(names[: citation.MAX_NAMED]) + ("; et al." if len(names) > citation.MAX_NAMED else "")
    parts = [f"{authors} ({meta.get('publicationYear', 'n.d.')}): {citation._sentence(model.title(meta))}"]
    if meta.get("version"):
        parts.append(f"Version {meta['version']}.")
    parts.append(citation._sentence(model.publisher(meta)))
    parts.append(citation._sentence(model.resource_type(meta)))
    parts.append(doi_url(doi))
    return " ".join(parts)


def _old_bibtex_escape(text: str) -> str:
    return citation._BIBTEX_SPECIAL.sub(lambda m: citation._BIBTEX_REPLACE.get(m.group(1), "\\" + m.group(1)), text)


def _old_bibtex(doi: str, meta: dict[str, Any], landing_url: str) -> str:
    """Return the BibTeX entry as 42c35b3's citation.bibtex wrote it."""
    authors = []
    for person in model.creators(meta):
        if person.personal and person.family:
            given = f", {person.given}" if person.given else ""
            authors.append(_old_bibtex_escape(person.family + given))
        elif person.personal and "," in person.name:
            authors.append(_old_bibtex_escape(person.name))
        else:
            authors.append("{" + _old_bibtex_escape(person.name) + "}")
    fields = [
        ("author", " and ".join(authors)),
        ("title", "{" + _old_bibtex_escape(model.title(meta)) + "}"),
        ("publisher", _old_bibtex_escape(model.publisher(meta))),
        ("year", str(meta.get("publicationYear", ""))),
        ("doi", doi.replace("{", "%7B").replace("}", "%7D")),
        ("url", doi_url(doi)),
        ("howpublished", r"\url{" + landing_url + "}"),
    ]
    if meta.get("version"):
        fields.append(("version", _old_bibtex_escape(str(meta["version"]))))
    if keywords := model.subjects(meta):
        fields.append(("keywords", _old_bibtex_escape(", ".join(keywords))))
    if licences := model.rights(meta):
        fields.append(("copyright", _old_bibtex_escape(licences[0][0])))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{citation.bibtex_key(doi)},\n{body}\n}}\n"


def _outcome(write: Callable[[], Any]) -> Any:
    """Return what a writer returns, or the kind of error it raises (both writers must fail alike)."""
    try:
        return write()
    except Exception as error:  # compared, not hidden: both writers must fail alike
        return type(error).__name__


def _old_dumps(parts: Parts) -> str:
    """Return the stored text of parts as 42c35b3's Parts.dumps wrote it."""
    small: dict[str, Any] = {name: getattr(parts, name) for name in [f.name for f in fields(Parts)]}
    links = parts.links
    small["links"] = {"links": list(links.links), "linkset": links.linkset, "too_many": links.too_many}
    texts = [small.pop(name) for name in ("title", "head", "main")]
    small["lengths"] = [len(text) for text in texts]
    return compact_json.dumps(small) + "\n" + "".join(texts)


def _assert_same(page: RecordPage, exports: Sequence[Export] = EXPORTS) -> bool:
    """Assert both writers' outcomes equal; return whether they wrote (rather than both failing)."""
    sections = record_sections(page)
    new = _outcome(lambda: head_tags(page, exports, sections))
    assert new == _outcome(lambda: _old_head_tags(page, exports, sections)), page.meta
    cited = _outcome(lambda: citation.page_citations(page, sections))
    exported = _outcome(
        lambda: (
            citation.datacite(page.doi, page.meta),
            citation.bibtex(page.doi, page.meta, page.landing_url),
        )
    )
    before = _outcome(lambda: (_old_datacite(page.doi, page.meta), _old_bibtex(page.doi, page.meta, page.landing_url)))
    assert cited == exported == before, page.meta
    return isinstance(new, str) and isinstance(cited, tuple)


def _hostile(value: Any, rng: random.Random) -> Any:
    """Return the value with some of its strings swapped for hostile ones (structure kept)."""
    if isinstance(value, dict):
        return {key: _hostile(item, rng) for key, item in value.items()}
    if isinstance(value, list):
        return [_hostile(item, rng) for item in value]
    if isinstance(value, str) and rng.random() < 0.3:
        return rng.choice(HOSTILE)
    return value


@pytest.mark.parametrize("base", BASES)
def test_every_corpus_record_s_head_tags_and_citations_are_as_before(base: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DMZPUB_DATA_DIR": tmp, "DMZPUB_BASE_URL": base})
        with app.test_request_context("/", base_url=base + "/"):
            pages = list(_corpus_pages(base))
            assert len(pages) >= 23
            assert all([_assert_same(page) for page in pages])
            for page in pages:  # the stored text too
                parts = render(page)
                assert parts.dumps() == _old_dumps(parts), page.doi


@pytest.mark.parametrize("seed", range(4))
def test_random_hostile_records_head_tags_and_citations_are_as_before(seed: int) -> None:
    rng = random.Random(seed)
    base = BASES[seed % 2]
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DMZPUB_DATA_DIR": tmp, "DMZPUB_BASE_URL": base})
        with app.test_request_context("/", base_url=base + "/"):
            written = 0
            for i in range(300):
                meta = _hostile(_metadata(rng), rng)
                if rng.random() < 0.5:  # an abstract around the description tag's cut
                    size = DESCRIPTION_LENGTH + rng.choice([-1, 0, 1, 5, 6, 10, 100])
                    text = "".join(rng.choice(["a", " ", "&", "\U0001f600", "<"]) for _ in range(size))
                    meta["descriptions"] = [{"description": text, "descriptionType": "Abstract"}]
                doi = rng.choice(["10.1234/A", "10.1234/<&'>", "10.1234/{x}_%"])
                exports = rng.choice([EXPORTS, EXPORTS[:1], (), ODD_EXPORTS])
                written += _assert_same(_page(f"k{i}/{rng.choice(HOSTILE)}", doi, meta, _extras(rng), base), exports)
            assert written > 200  # mostly written, not both writers failing alike


def _parts(rng: random.Random) -> Parts:
    def text() -> Any:
        return rng.choice([*HOSTILE, "\ud800 lone", "\udfff", "x" * 5000])

    links = signposting.StaticLinks(tuple(text() for _ in range(rng.randrange(14))), text(), rng.choice([True, False]))
    small = rng.choice([None, text(), 1.5, 1e-05, 2**70, 7])  # what json writes otherwise than orjson, too
    return Parts(text(), text(), text(), text(), links, rng.choice([None, text(), small]), text(), small)


def test_parts_stored_text_is_as_before_whatever_their_values() -> None:
    rng = random.Random(5)
    for _ in range(2000):
        parts = _parts(rng)
        assert parts.dumps() == _old_dumps(parts), parts
        assert Parts.loads(parts.dumps()) == parts


def test_a_written_page_is_the_page_its_dataclasses_make() -> None:
    for base in BASES:
        for document in _documents().values():
            try:
                record = from_scicat(copy.deepcopy(document))
            except InvalidRecord:
                continue
            stored = StoredRecord(
                record.key, record.doi, "", "", False, "", metadata=record.metadata, extras=record.extras
            )
            expected, found = RecordPage(stored, base), written_page(record, base)
            assert found == expected and vars(found) == vars(expected) and vars(found.record) == vars(stored)
            assert (
                found.record.rendered == {} and found.record.rendered is not written_page(record, base).record.rendered
            )
