"""Compact JSON text, byte for byte what `json.dumps` writes, made by orjson where that is the same."""

from __future__ import annotations

import json
from typing import Any

import orjson

_SORTED = orjson.OPT_SORT_KEYS


def dumps(value: Any, sort_keys: bool = False, plain: bool | None = None) -> str:
    """Return `json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)`.

    `plain` is what `is_plain(value)` would answer when the caller knows it already (from its parse,
    or a walk of a value holding this one); None walks the value here.
    """
    # orjson is ~8x faster than `json` on a record, and a write dumps several. It writes some floats
    # differently (1e-05 as 0.00001, infinity as null) and refuses what else it cannot write the same
    # (lone surrogates, integers past 64 bits, non-string keys): those values go to `json`.
    if is_plain(value) if plain is None else plain:
        try:
            return orjson.dumps(value, option=_SORTED if sort_keys else 0).decode()
        except TypeError:
            pass
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)


def is_plain(value: Any) -> bool:
    """Return whether the value is plain JSON (exact dict, list, str, int, bool, None) holding no float."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if kind is dict:
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        else:  # a float, a tuple, a subclass...: left to `json`
            return False
    return True


def scan(value: Any, limit: int) -> tuple[bool, bool]:
    """Return whether the JSON value nests deeper than `limit`, and whether it holds a float (so far)."""
    kind = type(value)
    if kind is not dict and kind is not list:
        return False, kind is float
    floats = False
    level = [value]  # the containers at `depth`
    for depth in range(1, limit + 2):
        if not level:
            break
        if depth > limit:
            return True, floats
        # Level by level, only containers kept, no (item, depth) tuples: ~25 % under a stack's walk, and a
        # bulk body holds ~100,000 scalars. Exact type checks: the parsers make no subclasses.
        deeper: list[Any] = []
        keep = deeper.append
        for item in level:
            for child in item.values() if type(item) is dict else item:
                kind = type(child)
                if kind is str:  # most values: one test, not three (~10 % of the walk, callgrind)
                    continue
                if kind is dict or kind is list:
                    keep(child)
                elif kind is float:
                    floats = True
        level = deeper
    return False, floats


def loads(text: str | bytes) -> tuple[Any, bool]:
    """Return `json.loads(text)` and whether the value is known plain JSON (is_plain; False: not known)."""
    # orjson reads ~4x faster than json and a scan of its containers for floats costs less than is_plain's walk
    # of every value (a reindex walked each record twice: ~10 % of its CPU). orjson reads integers past 64 bits
    # as floats and refuses NaN and lone surrogates' escapes: such texts are read by json, the reference.
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text), False
    if scan(value, _UNBOUNDED)[1]:
        return json.loads(text), False
    return value, True


_UNBOUNDED = 1 << 62  # scan's depth limit when only its floats are asked for
