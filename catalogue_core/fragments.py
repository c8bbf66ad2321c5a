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
LIMIT = 4096  # texts kept per writer: emptied when full (a new facility's values, a reindex of many)


def memoised(write: Callable[[Any], str], limit: int = LIMIT) -> Callable[[Any], str]:
    """Return `write` answering from its earlier texts for a value with the same JSON (write must be pure)."""
    texts: dict[bytes, str] = {}

    def written(value: Any) -> str:
        try:
            key = orjson.dumps(value, option=_KEY_OPTIONS)
        except TypeError:
            return write(value)
        if b"null" in key:  # NaN and infinities are written null too: such a value is not told from None
            return write(value)
        if (found := texts.get(key)) is None:
            found = write(value)  # what it raises is raised as without the memo, and nothing is kept
            if len(texts) >= limit:
                texts.clear()
            texts[key] = found
        return found

    written.__wrapped__ = write  # type: ignore[attr-defined]
    return written
