"""A memoised writer writes a recurring value once and answers exactly what the writer would for every value."""

from __future__ import annotations

import datetime
import math
from typing import Any

import pytest

from catalogue_core import datacite47_plain
from catalogue_core.fragments import Shared, memoised


def counting() -> tuple[list[Any], Any]:
    seen: list[Any] = []

    def write(value: Any) -> str:
        seen.append(value)
        return repr(value)

    return seen, write


def test_a_value_with_the_same_json_is_written_once() -> None:
    seen, write = counting()
    written = memoised(write)
    first = [{"name": "Nilsson, Karin", "nameType": "Personal"}]
    assert written(first) == written([{"name": "Nilsson, Karin", "nameType": "Personal"}]) == repr(first)
    assert seen == [first]


def test_values_that_differ_in_type_or_key_order_are_written_each() -> None:
    seen, write = counting()
    written = memoised(write)
    values = [{"a": 1, "b": 2}, {"b": 2, "a": 1}, {"a": True, "b": 2}, {"a": 1.0, "b": 2}, {"a": "1", "b": 2}]
    assert [written(v) for v in values] == [repr(v) for v in values]
    assert seen == values


class Name(str):
    pass


@pytest.mark.parametrize(
    "value",
    [[Name("x")], {"when": datetime.date(2025, 1, 1)}, {"lang": None}, [math.nan], [math.inf], {1: "x"}],
    ids=["str subclass", "date", "null", "nan", "infinity", "int key"],
)
def test_values_without_a_json_key_of_their_own_are_written_every_time(value: Any) -> None:
    seen, write = counting()
    written = memoised(write)
    assert written(value) == written(value) == repr(value)
    assert len(seen) == 2


def test_what_the_writer_raises_is_raised_every_time_and_nothing_is_kept() -> None:
    calls: list[Any] = []

    def write(value: Any) -> str:
        calls.append(value)
        raise TypeError("bad argument type")

    written = memoised(write)
    for _ in range(2):
        with pytest.raises(TypeError, match="bad argument type"):
            written(["x"])
    assert len(calls) == 2


def test_a_full_memo_is_emptied_and_still_answers_right() -> None:
    seen, write = counting()
    written = memoised(write, limit=2)
    for value in (["a"], ["b"], ["c"], ["a"], ["c"]):
        assert written(value) == repr(value)
    assert seen == [["a"], ["b"], ["c"], ["a"]]  # ["c"] kept after the memo was emptied for it


def test_the_plain_resource_of_records_sharing_creators_is_each_records_own() -> None:
    def meta(name: str) -> dict[str, Any]:
        creator = {"name": name, "nameType": "Personal", "affiliation": [{"name": "PSI"}]}
        return {"doi": "10.5555/x", "creators": [creator], "titles": [{"title": "T"}], "publisher": {"name": "P"}}

    for name in ("Nilsson, Karin", "Larsen, Per", "Nilsson, Karin"):
        text = datacite47_plain.resource_xml(meta(name))
        assert text is not None
        assert f'<creatorName nameType="Personal">{name}</creatorName>' in text
        assert text.count("<creator>") == 1


def test_values_with_the_same_json_share_one_dict_and_values_without_a_key_get_a_fresh_one_each() -> None:
    shared = Shared()
    first = shared.of([{"name": "Nilsson, Karin"}])
    first["text"] = "kept"
    assert shared.of([{"name": "Nilsson, Karin"}]) is first
    assert shared.of([{"name": "Larsen, Per"}]) == {}
    for value in ([Name("x")], {"lang": None}, [math.nan], None):
        kept = shared.of(value)
        kept["text"] = "not kept"
        assert shared.of(value) == {}


def test_a_full_shared_memo_is_emptied() -> None:
    shared = Shared(limit=1)
    shared.of(["a"])["text"] = "a"
    assert shared.of(["b"]) == {}
    assert shared.of(["a"]) == {}
