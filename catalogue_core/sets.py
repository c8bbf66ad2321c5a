"""OAI sets derived from record fields by named rules; hierarchical (`a` includes `a:b`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from .record import PublishedRecord

ALL_RECORDS_SET = "openaire_data"
SET_SPEC_RE = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+(?::[A-Za-z0-9\-_.!~*'()]+)*$")


@lru_cache(maxsize=4096)  # a facility's records share a few publishers and types: each is slugged once
def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9\-_.]+", "-", text.strip().lower()).strip("-")[:64]


def _by_year(record: PublishedRecord) -> list[str]:
    return [f"year:{record.metadata['publicationYear']}"]


def _by_type(record: PublishedRecord) -> list[str]:
    types = record.metadata["types"]
    spec = "type:" + _slug(types["resourceTypeGeneral"])
    sub = _slug(types.get("resourceType", ""))
    return [f"{spec}:{sub}" if sub else spec]


def _by_publisher(record: PublishedRecord) -> list[str]:
    slug = _slug(record.metadata["publisher"]["name"])
    return [f"publisher:{slug}"] if slug else []


SET_RULES: dict[str, Callable[[PublishedRecord], list[str]]] = {
    "year": _by_year,
    "type": _by_type,
    "publisher": _by_publisher,
}
DEFAULT_SET_RULES = ("year", "type")


def with_ancestors(specs: Iterable[str]) -> tuple[str, ...]:
    """Return the specs plus every ancestor (`a:b:c` gives `a`, `a:b`, `a:b:c`), sorted."""
    out: set[str] = set()
    for spec in specs:
        parts = spec.split(":")
        out.update(":".join(parts[:i]) for i in range(1, len(parts) + 1))
    return tuple(sorted(out))


def derive_sets(record: PublishedRecord, rules: Sequence[str] = DEFAULT_SET_RULES) -> tuple[str, ...]:
    """Return every setSpec the record belongs to under the named rules."""
    return _checked_with_ancestors(tuple(spec for rule in rules for spec in SET_RULES[rule](record)))


@lru_cache(maxsize=4096)  # records share a few lists of specs: each is checked and expanded once (strings only)
def _checked_with_ancestors(specs: tuple[str, ...]) -> tuple[str, ...]:
    return with_ancestors([ALL_RECORDS_SET, *(spec for spec in specs if SET_SPEC_RE.match(spec))])
