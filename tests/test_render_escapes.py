"""The write-time escapes taken on fast paths write what the general routines wrote, on odd and plain values."""

from __future__ import annotations

import copy
import json
import re
import tempfile
from datetime import date

import pytest
from markupsafe import Markup, escape

from catalogue_core import xmltext
from catalogue_core.crosswalks import links
from landing import filters
from landing.head import html_escape

ODD = [
    "",
    "plain text",
    "a & b < c > d \"e\" 'f'",
    "\t tab \n line \r return ]]> ü 数据 \u202e",
    "&amp; already escaped",
    "\ud800 lone surrogate",
    "x" * 5000 + "<",
]


@pytest.mark.parametrize("value", ODD)
def test_html_escape_of_a_string_is_markupsafe_s_escape(value: str) -> None:
    assert html_escape(value) == str(escape(value))


@pytest.mark.parametrize("value", [None, 2025, 1.5, Markup("<b>kept</b>"), True])
def test_html_escape_of_other_values_is_markupsafe_s_escape(value: object) -> None:
    assert html_escape(value) == str(escape(value))


@pytest.mark.parametrize("value", ODD)
def test_a_leaf_is_the_element_of_its_escaped_text(value: str) -> None:
    attributes = {"lang": value, "kind": "plain"}
    assert xmltext.leaf("t", value) == xmltext.element("t", None, xmltext.text(value))
    assert xmltext.leaf("t", value, attributes) == xmltext.element("t", attributes, xmltext.text(value))
    assert xmltext.leaf("t", value, {}) == f"<t>{xmltext.text(value)}</t>"


@pytest.mark.parametrize("value", [None, 7, 1.5, b"bytes"])
def test_text_and_attributes_refuse_what_is_not_a_string_as_lxml_did(value: object) -> None:
    with pytest.raises(TypeError, match="bad argument type"):
        xmltext.text(value)
    with pytest.raises(TypeError, match="bad argument type"):
        xmltext.attribute(value)
    with pytest.raises(TypeError, match="bad argument type"):
        xmltext.leaf("t", value)


XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # the check it replaced


def test_the_illegal_character_check_agrees_with_the_regex_on_every_code_point() -> None:
    for point in range(0x110000):
        char = chr(point)
        assert xmltext.has_illegal(f"ab{char}cd") == bool(XML_ILLEGAL.search(char)), hex(point)
    assert not xmltext.has_illegal("")
    assert xmltext.has_illegal("plain \u00fc text then \uffff")
    assert not xmltext.has_illegal("\ufffd \U0001f600 \x7f \x85 \t\n\r")


def test_a_document_holding_an_illegal_character_is_refused_as_lxml_refuses_it() -> None:
    with pytest.raises(ValueError, match="XML compatible"):
        xmltext.root("r", 'xmlns="urn:x"', [xmltext.leaf("t", "a\x0bb")])
    assert xmltext.root("r", 'xmlns="urn:x"', [xmltext.leaf("t", "a\tb")]) == '<r xmlns="urn:x"><t>a\tb</t></r>'


def test_stored_parts_keep_json_s_own_text_for_their_small_fields() -> None:
    from test_page_parts_bytes import BASES, _documents

    from catalogue_core.errors import InvalidRecord
    from catalogue_core.scicat import from_scicat
    from landing.parts import writer
    from oai_server import create_app

    with tempfile.TemporaryDirectory() as tmp:
        render = writer(create_app({"DMZPUB_DATA_DIR": tmp, "DMZPUB_BASE_URL": BASES[1]}))
        written = 0
        for document in _documents().values():
            try:
                text = render(from_scicat(copy.deepcopy(document)))
            except InvalidRecord:
                continue
            line = text.partition("\n")[0]
            assert line == json.dumps(json.loads(line), ensure_ascii=False, separators=(",", ":"))
            written += 1
        assert written >= 20


def test_today_is_the_local_date_read_again_when_the_second_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    before, found, after = date.today().isoformat(), links.local_today(), date.today().isoformat()
    assert found in {before, after}

    class Clock:
        day = date(2031, 5, 6)

        @classmethod
        def today(cls) -> date:
            return cls.day

    monkeypatch.setattr(links, "date", Clock)
    monkeypatch.setattr(links.time, "time", lambda: 1_900_000_000.25)
    assert links.local_today() == "2031-05-06"
    Clock.day = date(2031, 5, 7)
    assert links.local_today() == "2031-05-06"  # the same second: not read again
    monkeypatch.setattr(links.time, "time", lambda: 1_900_000_001.0)
    assert links.local_today() == "2031-05-07"


ONE_LINE = ["", "   ", "one line", "  padded & <odd> 'line'  ", "a\rb", "see https://x.example/a?b=1&c=2.", "\u2003x"]


@pytest.mark.parametrize("text", ONE_LINE)
def test_a_one_line_text_makes_the_paragraph_the_general_path_makes(text: str) -> None:
    # A trailing newline changes nothing in the output but sends the text down the general path.
    assert filters.paragraphs(text) == filters.paragraphs(text + "\n")
