"""A page part's slots (text or UTF-8) filled in UTF-8 pieces: the bytes of replacing each slot in turn, encoded."""

from __future__ import annotations

import random

import pytest
from markupsafe import Markup

from landing.parts import SLOT, _filled

SLOTS = [SLOT.format(name) for name in ("contentSize", "distribution", "dateModified", "downloads", "updated")]
# ASCII, Latin-1, the BMP (an en dash) and beyond it: each makes CPython store the text another way.
ALPHABET = ["a", "<", ">", "-", "!", "Ø", "°", "–", "😀", "\n", " "]


def replaced_in_turn(text: str, fills: list[tuple[str, str]]) -> bytes:
    for slot, value in fills:
        text = text.replace(slot, value, 1)
    return text.encode()


def random_text(rng: random.Random) -> str:
    words = ["".join(rng.choices(ALPHABET, k=rng.randrange(0, 12))) for _ in range(rng.randrange(0, 8))]
    words += rng.sample(SLOTS, rng.randrange(0, len(SLOTS) + 1)) * rng.choice([1, 1, 2])  # some twice, some absent
    rng.shuffle(words)
    return "".join(words)


def random_fills(rng: random.Random) -> list[tuple[str, str]]:
    slots = rng.sample(SLOTS, rng.randrange(1, 4))
    fills = []
    for slot in slots:
        value = "".join(rng.choices(ALPHABET, k=rng.randrange(0, 6)))
        if rng.random() < 0.1:  # a value holding a slot: filling it in turn may fill the value's copy
            value += rng.choice(SLOTS)
        fills.append((slot, Markup(value) if rng.random() < 0.3 else value))
    return fills


@pytest.mark.parametrize("seed", range(4))
def test_filled_pieces_join_to_the_slots_replaced_in_turn_then_encoded(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(2000):
        text, fills = random_text(rng), random_fills(rng)
        expected = replaced_in_turn(text, fills)
        assert b"".join(_filled(text, fills)) == expected, (text, fills)
        assert b"".join(_filled(text.encode(), fills)) == expected, (text, fills)  # as a store's page read gives it


def test_a_slot_filled_twice_by_name_fills_only_its_first_place() -> None:
    text = f"x{SLOTS[0]}y{SLOTS[0]}z–"
    assert b"".join(_filled(text, [(SLOTS[0], "1")])) == f"x1y{SLOTS[0]}z–".encode()


def test_a_value_holding_a_later_slot_is_filled_as_replacing_in_turn_fills_it() -> None:
    text = f"{SLOTS[0]} and {SLOTS[1]}–"
    fills = [(SLOTS[0], f"<{SLOTS[1]}>"), (SLOTS[1], "B")]
    assert b"".join(_filled(text, fills)) == f"<B> and {SLOTS[1]}–".encode()
