"""The publisher's per-DOI order: the X-Dmzpub-Sequence request header, read and its stale answer built."""

from __future__ import annotations

from flask import request

from catalogue_core.errors import FieldProblem

from ..problems import APIProblem

HEADER = "X-Dmzpub-Sequence"
# Nineteen digits fit a signed 64-bit integer (SQLite's INTEGER, MongoDB's long).
_MAX_DIGITS = 18


def _number(text: str) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS):
        raise APIProblem(
            400,
            "Invalid sequence",
            errors=[FieldProblem(HEADER, f"must be a whole number of at most {_MAX_DIGITS} digits")],
        )
    return int(text)


def sequence() -> int | None:
    """Return the request's sequence for one DOI, or None when it sends none."""
    return sequence_of(request.headers.get(HEADER))


def sequence_of(raw: str | None) -> int | None:
    """Return the sequence a request's header value gives (None when the header is missing)."""
    return None if raw is None else _number(raw)


def sequences(count: int) -> list[int | None]:
    """Return one sequence per document of a bulk body (a comma-separated list), or Nones when none is sent."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return [None] * count
    parts = raw.split(",")
    if len(parts) != count:
        message = f"lists {len(parts)} sequences for {count} documents; send one per document, in order"
        raise APIProblem(400, "Invalid sequence", errors=[FieldProblem(HEADER, message)])
    return [_number(part) for part in parts]


def stale(doi: str) -> APIProblem:
    """Return the 409 for a write older than the DOI's last one: the publisher counts it superseded."""
    return APIProblem(
        409,
        "Stale write",
        f"a later write of {doi} was applied already; this one changes nothing",
        [FieldProblem(HEADER, "is older than the DOI's last write")],
    )
