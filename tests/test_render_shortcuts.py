"""Write-time shortcuts (Link values, keyword queries, XML escapes, page sections) give the general path's output."""

from __future__ import annotations

import random
import re
import string
from typing import Any

import pytest
from jinja2.filters import do_urlencode

from catalogue_core import xmltext
from catalogue_core.store import StoredRecord
from landing import main, model, signposting
from landing.page import RecordPage
from landing.sections import DESCRIPTION_SECTIONS, record_sections

ODD = ["", "plain", "two words", "a/b-c_d.e~f", "a & b < c > \"d\" 'e'", "%", "%4", "%41", "ü 数据", "\t\n\r", "+?#="]
ALPHABET = string.ascii_letters + string.digits + " _.-~/%&<>\"'\t\n\r+?#=[]:@!$()*,;üß数\u202e\x7f"


def _random_texts(seed: int, count: int = 2000) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(ALPHABET if rng.random() < 0.5 else string.ascii_letters + " -")
                for _ in range(rng.randrange(12)))
        for _ in range(count)
    ]  # fmt: skip


def _page(key: str, meta: dict[str, Any], extras: dict[str, Any] | None = None) -> RecordPage:
    stored = StoredRecord(key, "10.1234/x", "", "", False, "", metadata=meta, extras=extras or {})
    return RecordPage(stored, "https://pub.example.org/dmz")


def _old_static_links(page: RecordPage) -> tuple[str, ...]:
    return tuple(signposting._values(signposting.static_relations(page)))


@pytest.mark.parametrize("seed", range(3))
def test_static_link_values_are_those_the_relations_write(seed: int) -> None:
    rng = random.Random(seed)
    for key in [*ODD, *_random_texts(seed, 300)]:
        creators = [
            {
                "name": "A",
                "nameIdentifiers": [{"nameIdentifierScheme": "ORCID", "nameIdentifier": "0000-0002-1825-0097"}],
            }
            for _ in range(rng.randrange(8))
        ]
        rights = [{"rights": "R", "rightsUri": rng.choice(["https://c.example/a b%", "https://c.example/ü?x=%41"])}]
        page = _page(key or "k", {"titles": [{"title": "T"}], "creators": creators, "rightsList": rights})
        found = signposting.static_links(page)
        assert found.links == _old_static_links(page), key
        assert found.too_many == (len(creators) > signposting.MAX_LINKS)


def test_a_keyword_s_query_is_jinja_s_urlencode() -> None:
    for text in [*ODD, *_random_texts(1)]:
        assert main._query(text) == do_urlencode(text), text
    assert main._query(7) == do_urlencode(7)


_TEXT = re.compile("[&<>\r]")
_ATTRIBUTE = re.compile('[&<>"\t\n\r]')


def test_xml_escapes_are_the_replaces_whenever_a_special_character_is_present() -> None:
    for value in [*ODD, *_random_texts(2)]:
        text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
        assert xmltext.text(value) == (text if _TEXT.search(value) else value)
        attribute = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
        attribute = attribute.replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")
        assert xmltext.attribute(value) == (attribute if _ATTRIBUTE.search(value) else value)


@pytest.mark.parametrize("seed", range(3))
def test_page_sections_read_descriptions_and_related_works_as_the_model_does(seed: int) -> None:
    rng = random.Random(seed)
    kinds = [kind for kind, _ in DESCRIPTION_SECTIONS] + ["Unknown", None]
    pids = ["10.1/a", "10.1/b", "https://x.example/c"]
    for _ in range(300):
        descriptions = [
            {"description": rng.choice(ODD), "descriptionType": rng.choice(kinds)} for _ in range(rng.randrange(6))
        ]
        related = [
            {"relatedIdentifier": rng.choice([*pids, ""]), "relatedIdentifierType": rng.choice(["DOI", "URL"]),
             "relationType": rng.choice(["IsCitedBy", "References"])}
            for _ in range(rng.randrange(5))
        ]  # fmt: skip
        skip = rng.sample(pids, rng.randrange(3))
        meta = {"titles": [{"title": "T"}], "descriptions": descriptions, "relatedIdentifiers": related}
        sections = record_sections(_page("k", meta, {"datasetPids": skip}))
        expected = [(heading, t) for kind, heading in DESCRIPTION_SECTIONS if (t := model.descriptions(meta, kind))]
        assert sections["descriptions"] == expected
        assert sections["related"] == model.related(meta, skip=set(skip))


def test_page_values_built_twice_are_equal_and_hash_alike_as_frozen_ones_did() -> None:
    creator = {
        "name": "Nilsson, Karin",
        "nameIdentifiers": [{"nameIdentifierScheme": "ORCID", "nameIdentifier": "0000-0002-1825-0097"}],
        "affiliation": [{"name": "ESS", "affiliationIdentifier": "01wv9cn34", "affiliationIdentifierScheme": "ROR"}],
    }
    meta = {"titles": [{"title": "T"}], "creators": [creator], "relatedIdentifiers": [{"relatedIdentifier": "10.1/a"}]}
    first, second = record_sections(_page("k", meta)), record_sections(_page("k", meta))
    for name in ("bylines", "affiliations", "related"):
        assert first[name] == second[name]
        assert {hash(value) for value in first[name]} == {hash(value) for value in second[name]}
    assert len({*first["bylines"], *second["bylines"]}) == 1


def test_export_links_are_the_escaped_export_urls_for_the_built_in_exports_and_any_other_list() -> None:
    from landing.exports import EXPORTS
    from landing.head import escaped_exports, html_escape

    assert escaped_exports(EXPORTS) == escaped_exports(list(EXPORTS))
    for key in ODD:
        page = _page(key or "k", {"titles": [{"title": "T"}]})
        for export, (name, media_type, label) in zip(EXPORTS, escaped_exports(EXPORTS), strict=True):
            assert html_escape(page.landing_url) + name == html_escape(page.export_url(export.name))
            assert (media_type, label) == (html_escape(export.media_type), html_escape(export.label))


def test_a_url_checked_again_gets_the_same_verdict_and_a_subclass_keeps_its_type() -> None:
    from markupsafe import Markup

    for value in ["https://x.example/a", " http://x.example ", "javascript:alert(1)", "https://", "ftp://x", "a b"]:
        first, again = model.safe_url(value), model.safe_url(value)
        assert first == again == model._safe_url.__wrapped__(value)
    assert type(model.safe_url(Markup("https://x.example/m"))) is Markup
    assert model.safe_url(None) is None and model.safe_url(["https://x.example"]) is None


def test_the_catalogue_url_check_refuses_exactly_white_space_and_angle_brackets_and_quotes() -> None:
    from catalogue_core.crosswalks import links

    # The regex stands for a per-character test (str.isspace or one of <>"): the same verdict on every code point.
    found = {c for c in map(chr, range(0x110000)) if links._NOT_IN_URL.search(c)}
    assert found == {c for c in map(chr, range(0x110000)) if c.isspace() or c in '<>"'}


def test_oai_dc_runs_meet_their_tags_in_the_order_the_groups_come() -> None:
    from catalogue_core.crosswalks import RenderContext, oai_dc
    from catalogue_core.record import PublishedRecord

    record = PublishedRecord("10.1234/x", {"titles": [{"title": "T"}], "publisher": {"name": "P"}, "types": {}})
    record.metadata.update(publicationYear="2025", types={"resourceTypeGeneral": "Dataset"})
    names = [name for name, _ in oai_dc.groups(record, RenderContext())]
    assert [run[0] for run in oai_dc._RUNS] == [f"<dc:{name}>" for name in names]


def test_a_page_value_is_worked_out_once_then_read_as_an_attribute() -> None:
    page = _page("k", {"titles": [{"title": "T"}], "creators": [{"name": "A"}]})
    assert "creators" not in page.__dict__
    first = page.creators
    assert page.__dict__["creators"] is first and page.creators is first
    assert RecordPage.creators.__doc__ == "Return the creators."


def test_the_built_in_exports_prepared_runs_are_what_any_export_list_gives() -> None:
    from landing import head
    from landing.exports import EXPORTS

    # A copy of the list takes the general path: the runs prepared once per process must equal it.
    assert head.export_runs(list(EXPORTS), head._ALTERNATE) == head._ALTERNATES
    assert head.export_runs(list(EXPORTS), main._EXPORT_ITEM) == main._EXPORT_RUNS
    assert head.export_runs([], main._EXPORT_ITEM) == [""]
    url = "https://pub.example.org/doi/10.1234/x"
    for export, item in zip(EXPORTS, main._EXPORT_RUNS[1:], strict=True):
        assert f'{export.name}" type="{export.media_type}">' in item
    assert url.join(main._EXPORT_RUNS).count(f'<li><a href="{url}/') == len(EXPORTS)
