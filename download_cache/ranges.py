"""Evaluate the Range header of a file download by RFC 9110 §14: one byte range, the whole file, or a 416."""

from __future__ import annotations

import re

from werkzeug.exceptions import RequestedRangeNotSatisfiable

# One range-spec: first-last, first-, or -suffix; ASCII digits only (int() would also take "٣").
_SINGLE = re.compile(r"bytes[ \t]*=[ \t]*([0-9]*)-([0-9]*)[ \t]*", re.IGNORECASE)
_UNIT = re.compile(r"[ \t]*bytes[ \t]*=", re.IGNORECASE)
_HUGE = 10**18  # past any file; also keeps int() away from its 4300-digit limit


def _number(digits: str) -> int:
    return int(digits) if len(digits) <= 18 else _HUGE


def byte_range(header: str, length: int) -> tuple[int, int] | None:
    """Return the (first, last) byte positions to send, or None for the whole file; raise a 416.

    Werkzeug answered 416 to a suffix longer than the file (which means the whole file), to an unknown
    unit and to malformed ranges (which a server ignores), and to two ranges (which we ignore: no
    multipart/byteranges here).
    """
    if length == 0 or not _UNIT.match(header) or "," in header:
        return None
    match = _SINGLE.fullmatch(header.strip())
    if not match or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":  # a suffix: the last N bytes, all of them when N is past the length
        suffix = _number(last)
        if suffix == 0:
            raise RequestedRangeNotSatisfiable(length=length)
        return max(length - suffix, 0), length - 1
    start = _number(first)
    if last and _number(last) < start:
        return None  # an invalid range-spec is ignored, not refused
    if start >= length:
        raise RequestedRangeNotSatisfiable(length=length)
    return start, min(_number(last), length - 1) if last else length - 1
