"""frozen.filled makes the object a frozen dataclass's __init__ makes, without its per-field cost."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import pytest

from catalogue_core import frozen


@dataclass(frozen=True)
class _Point:
    x: int
    y: int = 2
    tags: tuple[str, ...] = ()
    notes: dict[str, Any] = field(default_factory=dict)


def test_a_filled_object_equals_the_constructed_one_and_stays_frozen() -> None:
    made = frozen.filled(_Point, frozen.defaults(_Point), x=1, notes={})
    assert made == _Point(1) and type(made) is _Point
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.x = 3  # type: ignore[misc]


def test_given_values_win_over_the_defaults() -> None:
    assert frozen.filled(_Point, frozen.defaults(_Point), x=1, y=5, notes={"a": 1}) == _Point(1, 5, notes={"a": 1})


def test_defaults_hold_plain_defaults_only_not_factories() -> None:
    assert frozen.defaults(_Point) == {"y": 2, "tags": ()}
