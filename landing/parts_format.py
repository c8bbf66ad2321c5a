"""The stored parts' text: a JSON line of a page's small fields, then its HTML; read from str or UTF-8 bytes."""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass
from typing import Any

import orjson

from catalogue_core import compact_json, frozen

from . import signposting

FRAME_PARTS = ("title", "head", "main")
BIG_FIELDS = FRAME_PARTS  # stored after the JSON line, unescaped


@dataclass(frozen=True)
class Parts:
    """One record's page as rendered at write time, with slots for what changes on its own."""

    fingerprint: str
    # Escaped HTML; as UTF-8 bytes when loaded from bytes (a store's page read: spliced without decoding).
    title: str | bytes
    head: str | bytes
    main: str | bytes
    links: signposting.StaticLinks
    external_url: str | None
    publisher: str
    archive_size: str | None

    def dumps(self) -> str:
        """Return the parts as the text the store keeps: a JSON line of the small fields, then the HTML as is."""
        fields = (self.fingerprint, _text(self.title), _text(self.head), _text(self.main), self.links)
        return dumps_values((*fields, self.external_url, self.publisher, self.archive_size))

    @classmethod
    def loads(cls, text: str | bytes) -> Parts | None:
        """Return the parts of stored text, or of its UTF-8 bytes (the HTML then stays bytes); None when unreadable
        (written by another release)."""
        # Slices of `text` itself: partition() copied the ~16 kB of HTML once more on every page not cached.
        newline = text.find(b"\n") if isinstance(text, bytes) else text.find("\n")
        line, start = (text, len(text)) if newline < 0 else (text[:newline], newline + 1)
        try:
            small = _json_line(line)
            links = small.pop("links")
            static = signposting.StaticLinks(tuple(links["links"]), links["linkset"], links["too_many"])
            lengths = small.pop("lengths")
            if type(lengths) is not list or len(lengths) != len(BIG_FIELDS) or small.keys() != _SMALL_FIELDS:
                return None  # what zip(strict=True) or cls(**small) refused: written by another release
            counted = isinstance(text, bytes) and not text.isascii()  # lengths are in characters
            big = []
            for length in lengths:
                if not isinstance(length, int) or length < 0:
                    return None  # corrupt: rendered afresh
                end = _utf8_end(text, start, length) if counted else start + length
                big.append(text[start:end])
                start = end
            return _parts(small, big, static) if start == len(text) else None
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


_SMALL_FIELDS = {"fingerprint", "external_url", "publisher", "archive_size"}  # Parts' fields in the JSON line


def _parts(small: dict[str, Any], big: list[Any], links: signposting.StaticLinks) -> Parts:
    """Return Parts(**small, title=, head=, main=, links=): an equal object, its __dict__ filled at once."""
    # Filled, not made by its frozen __init__ (8 fields): once per page not cached.
    return frozen.filled(Parts, small, title=big[0], head=big[1], main=big[2], links=links)


def _utf8_end(data: Any, start: int, length: int) -> int:
    """Return where `length` characters of UTF-8 `data` from byte `start` end; past its end if it holds fewer."""
    # A character is one to four bytes: count them by decoding each byte once, in as few rounds as needed.
    # Each round reads a byte per character still missing, so it never passes the end; a character cut off
    # at `end` waits for the next round (final=False), and invalid UTF-8 raises UnicodeDecodeError, a ValueError.
    view, at, end, counted = memoryview(data), start, start + length, 0
    while end <= len(data):
        text, used = codecs.utf_8_decode(view[at:end], "strict", False)
        counted, at = counted + len(text), at + used
        if counted == length:
            return end
        end += length - counted
    return end


def _text(html: str | bytes) -> str:
    return html.decode() if isinstance(html, bytes) else html


def utf8(html: str | bytes) -> bytes:
    return html if isinstance(html, bytes) else html.encode()


# Parts' fields, in order: what the writer stores without making a Parts (a frozen dataclass: ~3 us a record).
PartValues = tuple[str, str, str, str, signposting.StaticLinks, str | None, str, str | None]


def dumps_values(values: PartValues) -> str:
    """Return Parts(*values).dumps()."""
    # The HTML stays out of the JSON: escaping its quotes would make every read parse ~16 kB of JSON.
    fingerprint, title, head, main, links, external, publisher, size = values
    # The members in the order the line always had (the dataclass's fields, big ones left out, then lengths);
    # a list, not the tuple, as compact_json takes orjson's path only for lists.
    small = {
        "fingerprint": fingerprint,
        "links": {"links": list(links.links), "linkset": links.linkset, "too_many": links.too_many},
        "external_url": external,
        "publisher": publisher,
        "archive_size": size,
        "lengths": [len(title), len(head), len(main)],
    }
    # compact_json walks the value looking for floats first (a third of dumps()); strings, a bool and
    # lengths cannot hold one. orjson refuses what json would write otherwise (a lone surrogate): compact_json.
    plain = (
        type(fingerprint) is str
        and type(publisher) is str
        and type(links.linkset) is str
        and _all_str(links.links)
        and type(links.too_many) is bool
        and (external is None or type(external) is str)
        and (size is None or type(size) is str)
    )
    line = None
    if plain:
        try:  # not contextlib.suppress: its object and two calls per record
            line = orjson.dumps(small).decode()
        except orjson.JSONEncodeError:
            line = None  # written by compact_json below
    # One join: the line and the ~12 kB of HTML copied once, not twice.
    return "".join([compact_json.dumps(small) if line is None else line, "\n", title, head, main])


def _all_str(values: tuple[Any, ...]) -> bool:
    """Tell whether every value is a str (not a subclass)."""
    # A loop, not set(map(type, values)): type() called through map takes its generic path, ~400 instructions
    # a value against ~40 here (callgrind); a record has a dozen links.
    for value in values:  # noqa: SIM110 (all() over a generator resumes a frame per value)
        if type(value) is not str:
            return False
    return True


def _json_line(line: str | bytes) -> Any:
    """Return the parts' JSON line as json.loads reads it; by orjson (~3x faster) unless orjson refuses it."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:  # e.g. a lone surrogate escape, which json reads
        return json.loads(line)
