"""The write-time writers' cheaper type checks accept and refuse exactly what the checks they replaced did."""

from __future__ import annotations

import random
from typing import Any

from markupsafe import Markup

from catalogue_core import xmltext
from landing.parts_format import _all_str

VALUES: list[Any] = ["", "text", "ü 数据", Markup("<b>"), 5, 2.5, True, None, ["list"], {"a": 1}, (), b"bytes"]
# What metadata the plain writers see may hold: JSON's types (xmltext.plain refuses the rest, subclasses included).
JSON_VALUES: list[Any] = ["", "text", "ü 数据", 5, 2.5, True, False, None, ["list"], {"a": 1}, [], {}]


def _plain_check(value: Any) -> Any:
    """Return what `value + ""` gives (the plain DataCite writer's check), or the error it raises."""
    try:
        return value + ""
    except TypeError as error:
        return TypeError, type(error)


def _old_check(value: Any) -> Any:
    """Return what str.__str__ gave (xmltext.string, the check before), or the error it raised."""
    try:
        return str.__str__(value)
    except TypeError as error:
        return TypeError, type(error)


def test_adding_an_empty_string_refuses_every_json_value_but_a_string_as_str_str_did() -> None:
    for value in JSON_VALUES:
        new, old = _plain_check(value), _old_check(value)
        assert new == old and type(new) is type(old), value


def test_metadata_holding_a_str_subclass_never_takes_the_plain_path() -> None:
    assert xmltext.plain({"titles": [{"title": "plain"}]})
    assert not xmltext.plain({"titles": [{"title": Markup("plain")}]})


def test_a_string_checked_by_adding_an_empty_string_is_the_very_string() -> None:
    text = "".join(["Nilsson", "7"])  # made at run time: not a shared constant
    assert text + "" is text


def test_all_str_tells_what_the_set_of_types_told() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        values = tuple(rng.choices(VALUES, k=rng.randrange(6)))
        assert _all_str(values) == (set(map(type, values)) <= {str}), values
