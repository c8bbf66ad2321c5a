"""Sets derived through the per-value memos are the sets the plain derivation gave, for every record we have."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Sequence

import pytest
from test_direct_writers import RECORDS

from catalogue_core.record import PublishedRecord
from catalogue_core.sets import SET_RULES, derive_sets

_SPEC = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+(?::[A-Za-z0-9\-_.!~*'()]+)*$")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9\-_.]+", "-", text.strip().lower()).strip("-")[:64]


_OLD_RULES: dict[str, Callable[[PublishedRecord], list[str]]] = {
    "year": lambda r: [f"year:{r.metadata['publicationYear']}"],
    "type": lambda r: [
        "type:" + _slug(r.metadata["types"]["resourceTypeGeneral"])
        + (f":{sub}" if (sub := _slug(r.metadata["types"].get("resourceType", ""))) else "")
    ],
    "publisher": lambda r: [f"publisher:{slug}"] if (slug := _slug(r.metadata["publisher"]["name"])) else [],
}  # fmt: skip


def _old_derive_sets(record: PublishedRecord, rules: Sequence[str]) -> tuple[str, ...]:
    """derive_sets as it was before its memos."""
    specs = ["openaire_data"]
    for rule in rules:
        specs.extend(s for s in _OLD_RULES[rule](record) if _SPEC.match(s))
    out: set[str] = set()
    for spec in specs:
        parts = spec.split(":")
        out.update(":".join(parts[:i]) for i in range(1, len(parts) + 1))
    return tuple(sorted(out))


def _variants(record: PublishedRecord) -> Iterable[PublishedRecord]:
    yield record
    for general, sub, publisher, year in [
        ("Dataset", "  Raw Data / ü ", "Paul Scherrer Institut (PSI)", "1999"),
        ("Other", "---", "---", "2000"),
        ("Text", "a:b", "  ", "2024"),
        ("Dataset", "x" * 100, "数据", "9999"),
    ]:
        metadata = copy.deepcopy(record.metadata)
        metadata["types"] = {"resourceTypeGeneral": general, "resourceType": sub}
        metadata["publisher"] = {"name": publisher}
        metadata["publicationYear"] = year
        yield PublishedRecord(record.doi, metadata, record.extras, record.payload)


@pytest.mark.parametrize("rules", [("year", "type"), ("year", "type", "publisher"), ("publisher",), ()])
def test_memoised_sets_are_the_sets_the_plain_derivation_gave(rules: tuple[str, ...]) -> None:
    assert set(_OLD_RULES) == set(SET_RULES)
    seen = 0
    for _ in range(2):  # the second round is answered from the memos
        for _, record in RECORDS:
            for variant in _variants(record):
                assert derive_sets(variant, rules) == _old_derive_sets(variant, rules)
                seen += 1
    assert seen >= 100
