"""Text written from a piece of metadata that recurs across records (creators, publisher, licences), kept per process.

A facility's records name the same people, publisher, licences and funders again and again: a writer
whose text depends on such a value alone writes it once and finds it again by the value's JSON. Values
JSON has not (dates, subclasses of str, ...) and values holding null have no key and are written every time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

# Types JSON has not make orjson raise, so two values with the same key are equal JSON of exact types.
_KEY_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
LIMIT = 4096  # entries kept per memo: emptied when full (a new facility's values, a reindex of many)


class Shared:
    """Per value key, a dict that writers fill with what they made of that value (theirs to name and fill)."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit, self.entries = limit, dict[bytes, dict[Any, Any]]()

    def of(self, value: Any) -> dict[Any, Any]:
        """Return the dict shared by every value with the same key; a fresh one for a value without a key."""
        try:
            found = orjson.dumps(value, option=_KEY_OPTIONS)
        except TypeError:
            return {}
        if b"null" in found:  # NaN and infinities are written null too: not told from None
            return {}
        if (entry := self.entries.get(found)) is None:
            if len(self.entries) >= self.limit:
                self.entries.clear()
            entry = self.entries[found] = {}
        return entry


def memoised(write: Callable[[Any], str], limit: int = LIMIT) -> Callable[[Any], str]:
    """Return `write` answering from its earlier texts for a value with the same JSON (write must be pure)."""
    texts: dict[bytes, str] = {}

    def written(value: Any) -> str:
        try:  # as Shared.of, written out: a record's formats look up ~8 values
            found_key = orjson.dumps(value, option=_KEY_OPTIONS)
        except TypeError:
            return write(value)
        if b"null" in found_key:
            return write(value)
        if (found := texts.get(found_key)) is None:
            found = write(value)  # what it raises is raised as without the memo, and nothing is kept
            if len(texts) >= limit:
                texts.clear()
            texts[found_key] = found
        return found

    written.__wrapped__ = write  # type: ignore[attr-defined]
    return written
