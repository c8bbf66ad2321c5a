"""The write-time escapes taken on fast paths write what the general routines wrote, on odd and plain values."""

from __future__ import annotations

import pytest
from markupsafe import Markup, escape

from catalogue_core import xmltext
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
