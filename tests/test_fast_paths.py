"""The ingest fast paths keep behaviour: the pushed document untouched, text cleaned as before, depth bounded."""

from __future__ import annotations

import copy
import random

import orjson
import pytest
from conftest import scicat_example
from test_compact_json import typed as _typed

from catalogue_core.compact_json import scan
from catalogue_core.scicat import from_scicat
from catalogue_core.text import _needs_walk, _walk, clean_text, clean_tree
from oai_server.api.push import MAX_DEPTH, _depth_over

NAMES = ["v3-registered-full.json", "v3-pending-minimal.json", "v4-public-minimal.json", "v4-registered-full.json"]


@pytest.mark.parametrize("name", NAMES)
def test_the_document_is_left_as_received_and_shares_nothing_with_the_metadata(name: str) -> None:
    document = scicat_example(name)
    document.setdefault("metadata", {}).update(dates=[{"date": "2020-01-01", "dateType": "Created"}], sizes=["1 GB"])
    if name.startswith("v3"):
        del document["metadata"]
    before = copy.deepcopy(document)
    record = from_scicat(document)
    assert document == before
    record.metadata["creators"][0]["name"] = "changed"
    record.metadata.setdefault("dates", []).append({"date": "1999", "dateType": "Other"})
    assert document == before


@pytest.mark.parametrize(
    "text",
    ["plain", "  padded\t", "tab\there", "ctl\x01\x7f", "Müller", "e\u0301", "\u00a0nbsp\u00a0", "a\x85b", "", " "],
)
def test_cleaning_text_is_what_it_always_was(text: str) -> None:
    import re
    import unicodedata

    illegal = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
    assert clean_text(text) == unicodedata.normalize("NFC", illegal.sub("", text)).strip()


def test_the_depth_bound_counts_containers_only_and_stops_at_the_limit() -> None:
    def nested(depth: int) -> object:
        value: object = "leaf"
        for level in range(depth):
            value = [value, 1, "x"] if level % 2 else {"k": value, "n": None}
        return value

    assert not _depth_over(nested(MAX_DEPTH), MAX_DEPTH)
    assert _depth_over(nested(MAX_DEPTH + 1), MAX_DEPTH)
    assert not _depth_over("scalar", 0)
    assert _depth_over([[], {"a": [{}]}], 3) and not _depth_over([[], {"a": [{}]}], 4)


def _scan_before(value: object, limit: int) -> tuple[bool, bool]:
    """The body scan as it was before it went level by level: a stack of (container, depth)."""
    kind = type(value)
    if kind is not dict and kind is not list:
        return False, kind is float
    floats = False
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True, floats
        for child in item.values() if isinstance(item, dict) else item:  # type: ignore[attr-defined]
            if type(child) is dict or type(child) is list:
                stack.append((child, depth + 1))
            elif type(child) is float:
                floats = True
    return False, floats


def test_the_body_scan_tells_depth_and_floats_as_the_stack_scan_did() -> None:
    rng = random.Random(7)

    def value(depth: int) -> object:
        roll = rng.random()
        if depth > 0 and roll < 0.3:
            return [value(depth - 1) for _ in range(rng.randint(0, 3))]
        if depth > 0 and roll < 0.6:
            return {str(i): value(depth - 1) for i in range(rng.randint(0, 3))}
        return rng.choice(["x", 1, True, None, 1.5 if rng.random() < 0.05 else 2])

    for _ in range(3000):
        body, limit = value(rng.randint(0, 12)), rng.randint(0, 10)
        deep, floats = scan(body, limit)
        assert deep == _scan_before(body, limit)[0], (body, limit)
        assert deep or floats == _scan_before(body, limit)[1], (body, limit)  # a deep body is refused: no floats told


def _clean_tree_before(value: object) -> object:
    """clean_tree as it was before its orjson copy: a walk over every node."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        items = [_clean_tree_before(item) for item in value]
        return [item for item in items if item not in ("", None, [], {})]
    if isinstance(value, dict):
        pairs = [(key, _clean_tree_before(item)) for key, item in value.items()]
        return {key: item for key, item in pairs if item not in ("", None, [], {})}
    return value


def test_cleaning_a_tree_gives_what_the_walk_gave_on_hostile_and_odd_values() -> None:
    from test_api_fuzz import VALUES, mutants
    from test_compact_json import ODD

    odd = [v for v in ODD if not isinstance(v, tuple)]  # JSON has no tuples
    texts = [
        "plain",
        "  padded\t",
        " lead",
        "trail ",
        "del\x7f",
        "ctl\x01",
        "end\n",
        "ctl\x01\x7f",
        "Müller",
        "e\u0301",
        "\u00a0nbsp",
        "a\x85b",
        "",
        " ",
        "[]",
        "null",
    ]
    values: list[object] = [*VALUES, *odd, *texts, *(scicat_example(name) for name in NAMES)]
    values += [{"k": v, "list": [v, "x", {"in": v}]} for v in values]
    values += list(mutants(23, 300))
    for value in values:
        assert _typed(clean_tree(value)) == _typed(_clean_tree_before(value)), value


def test_a_fresh_tree_is_cleaned_as_a_copy_is_and_kept_itself_only_when_clean() -> None:
    from test_api_fuzz import VALUES, mutants

    values: list[object] = [*VALUES, *(scicat_example(name) for name in NAMES), {"a": " x"}, {"a": [], "b": "y"}]
    values += list(mutants(29, 300))
    for value in values:
        fresh = clean_tree(copy.deepcopy(value), fresh=True)
        assert _typed(fresh) == _typed(clean_tree(value)), value
    clean, dirty = {"a": ["x", {"b": 1}]}, {"a": ["x ", {"b": 1}]}
    assert clean_tree(clean, fresh=True) is clean
    assert clean_tree(clean) is not clean
    assert clean_tree(dirty, fresh=True) == {"a": ["x", {"b": 1}]} and dirty == {"a": ["x ", {"b": 1}]}


@pytest.mark.parametrize(
    "value",
    [{"a": {}}, {"a": []}, [[], 1], {"a": " x"}, {"a": "x "}, {"a": ""}, {" k": 1}, {"a": None}, {"a": "x  y"}],
)
def test_the_walk_is_taken_for_every_tree_it_may_change(value: object) -> None:
    # Outer space, empty values and nulls (and a double space, needlessly) send orjson's text to the walk.
    assert _needs_walk(orjson.dumps(value))


@pytest.mark.parametrize("value", [{"a": "x y", "b": [1, {"c": "d"}], "e": {"f": ["g h"]}}, ["[x]", "{y}", 7, True]])
def test_the_walk_is_skipped_for_a_tree_it_leaves_as_it_is(value: object) -> None:
    assert not _needs_walk(orjson.dumps(value))


def test_cleaning_random_trees_gives_what_the_walk_gave() -> None:
    # Strings needing cleaning (outer space, escapes, controls, non-ASCII) and clean ones, keys that
    # stay as they are, escaped quotes and backslashes at either end, and values that clean to nothing.
    rng = random.Random(13)
    alphabet = [
        " ",
        "\t",
        "\n",
        "\r",
        "\x0b",
        "\x1f",
        "\x7f",
        "\x85",
        "\xa0",
        '"',
        "\\",
        "n",
        "a",
        ":",
        ",",
        "é",
        "e\u0301",
    ]
    alphabet += ["\u3000", "\ud800", "[]", "{}", "null", "\\n", '\\"', "x" * 50, " " * 200]

    def text() -> str:
        pieces = [rng.choice(alphabet) for _ in range(rng.randint(0, 6))]
        if rng.random() < 0.9:  # mostly something that survives cleaning: then the walk is not needed
            pieces.insert(rng.randint(0, len(pieces)), "z")
        return "".join(pieces)

    def tree(depth: int) -> object:
        roll = rng.random()
        if depth > 3 or roll < 0.4:
            return rng.choice([text(), text(), text(), 7, 1.5, True, None if rng.random() < 0.1 else 0])
        if roll < 0.7:
            return [tree(depth + 1) for _ in range(rng.randint(0, 4))]
        return {text() or "k": tree(depth + 1) for _ in range(rng.randint(0, 4))}

    for _ in range(3000):
        value = {"titles": [{"title": text()}], "padded key ": "v ", "tree": tree(0)}
        assert _typed(clean_tree(value)) == _typed(_clean_tree_before(value)), value


def test_a_cleaned_tree_shares_nothing_with_its_source() -> None:
    source = {"creators": [{"name": "A", "affiliation": [{"name": "B"}]}], "sizes": ["1 GB"]}
    cleaned = clean_tree(source)
    cleaned["creators"][0]["affiliation"][0]["name"] = "changed"
    cleaned["sizes"].append("2 GB")
    assert source == {"creators": [{"name": "A", "affiliation": [{"name": "B"}]}], "sizes": ["1 GB"]}


def test_the_walk_cleans_subclasses_of_str_list_and_dict_as_the_reference_walk_did() -> None:
    from collections import OrderedDict, UserString

    class Text(str):
        pass

    class Items(list):  # type: ignore[type-arg]
        pass

    value = OrderedDict(
        a=Text("  padded\x00 "), b=Items([Text(""), None, " x ", Items([]), {"k": None}]), c=[UserString("u"), 0, False]
    )
    assert _typed(_walk(value)) == _typed(_clean_tree_before(value))
    assert _typed(_walk(Items([" é\n", OrderedDict()]))) == _typed(_clean_tree_before(Items([" é\n", OrderedDict()])))
