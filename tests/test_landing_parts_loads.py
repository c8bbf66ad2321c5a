"""Stored page parts read back as before: the same Parts from the same text, None for what was unreadable."""

from __future__ import annotations

import json
import random
from dataclasses import replace

from landing import signposting
from landing.parts_format import BIG_FIELDS, Parts


def _reference(text: str) -> Parts | None:
    """Parts.loads as it was (json, then slices of a copy of the HTML): what the new one must answer."""
    line, _, rest = text.partition("\n")
    try:
        small = json.loads(line)
        links = small.pop("links")
        static = signposting.StaticLinks(tuple(links["links"]), links["linkset"], links["too_many"])
        start, big = 0, {}
        for name, length in zip(BIG_FIELDS, small.pop("lengths"), strict=True):
            big[name], start = rest[start : start + length], start + length
        return Parts(**small, **big, links=static) if start == len(rest) else None
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _parts(rng: random.Random) -> Parts:
    alphabet = "ab<>&\"'\n\r\t\\é数🧪\u2028 {}[]:,"
    text = lambda n: "".join(rng.choices(alphabet, k=rng.randint(0, n)))  # noqa: E731
    return Parts(
        fingerprint=text(16),
        title=text(40),
        head=text(400),
        main=text(2000),
        links=signposting.StaticLinks(tuple(text(30) for _ in range(rng.randint(0, 4))), text(30), rng.random() < 0.5),
        external_url=rng.choice([None, text(20)]),
        publisher=text(20),
        archive_size=rng.choice([None, "1.2 GB"]),
    )


def _corrupted(text: str, rng: random.Random) -> str:
    line, _, rest = text.partition("\n")
    small = json.loads(line)
    match rng.randrange(8):
        case 0:
            return text[: rng.randrange(len(text) + 1)]  # cut anywhere
        case 1:
            return text + rng.choice(["x", "\n", "é"])
        case 2:
            small["lengths"] = [n + rng.choice([1, 2, 7]) for n in small["lengths"]]
        case 3:
            small["lengths"] = small["lengths"][:-1]
        case 4:
            small["lengths"] = [float(n) for n in small["lengths"]]
        case 5:
            small["publisher"] = "\ud800 lone"  # a lone surrogate: json reads it, orjson does not
        case 6:
            small["fingerprint"] = 2**70  # past 64 bits: json reads it, orjson does not
        case _:
            del small["links"]
    return json.dumps(small) + "\n" + rest


def test_stored_parts_read_back_as_they_were_written_and_as_the_old_reader_read_them() -> None:
    rng = random.Random(13)
    for _ in range(500):
        parts = _parts(rng)
        text = parts.dumps()
        assert Parts.loads(text) == parts == _reference(text)


def test_corrupt_or_foreign_parts_are_read_as_the_old_reader_read_them() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        text = _corrupted(_parts(rng).dumps(), rng)
        assert Parts.loads(text) == _reference(text), text[:200]
    for odd in ("", "\n", "{}", "{}\n", "null\n", "[1]\nabc", "not json\n"):
        assert Parts.loads(odd) == _reference(odd) is None


def test_negative_lengths_are_unreadable_parts_not_slices_from_the_end() -> None:
    text = Parts.dumps(_parts(random.Random(1)))
    line, _, rest = text.partition("\n")
    small = json.loads(line)
    small["lengths"] = [len(rest) + 5, -5, 0]
    assert Parts.loads(json.dumps(small) + "\n" + rest) is None


def _encoded(parts: Parts | None) -> Parts | None:
    """Return `parts` with its HTML as UTF-8 bytes: what reading the stored text's bytes must give."""
    if parts is None:
        return None
    return replace(parts, **{name: getattr(parts, name).encode() for name in BIG_FIELDS})


def test_stored_parts_read_from_their_utf8_bytes_are_the_same_parts_with_the_html_as_bytes() -> None:
    rng = random.Random(21)
    for _ in range(1500):
        parts = _parts(rng)
        text = parts.dumps()
        assert Parts.loads(text.encode()) == _encoded(parts)
        assert Parts.loads(text.encode()).dumps() == text  # type: ignore[union-attr]
        corrupt = _corrupted(text, rng)
        assert Parts.loads(corrupt.encode()) == _encoded(Parts.loads(corrupt)), corrupt[:200]


def test_ascii_parts_read_from_bytes_slice_by_their_lengths() -> None:
    parts = replace(_parts(random.Random(3)), title="t", head="<h>", main="<m>", publisher="P", fingerprint="f")
    parts = replace(parts, links=signposting.StaticLinks((), "", False), external_url=None)
    assert Parts.loads(parts.dumps().encode()) == _encoded(parts)


def test_parts_whose_bytes_are_not_utf8_are_unreadable() -> None:
    data = Parts.dumps(_parts(random.Random(5))).encode()
    for cut in (b"\xff", b"\xc3", b"\xe2\x80"):  # a byte UTF-8 never uses; a character cut short
        assert Parts.loads(data + cut) is None
        line, _, rest = data.partition(b"\n")
        assert Parts.loads(line + b"\n" + cut + rest[len(cut) :]) is None
    # As many bytes and, skipping what is not UTF-8, as many characters: only decoding strictly tells.
    data = replace(_parts(random.Random(5)), main="<main>é</main>").dumps().encode()
    assert Parts.loads(data.replace("<main>é".encode(), b"<main>\xffa")) is None
