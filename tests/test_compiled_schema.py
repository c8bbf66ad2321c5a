"""The compiled DataCite schema refuses exactly what `jsonschema` refused, with the same field errors."""

from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import SHARED, scicat_example
from datacite import schema45
from jsonschema.validators import validator_for
from test_api_fuzz import VALUES, mutants

from catalogue_core import datacite47
from catalogue_core.compiled_schema import CompiledSchema, reference_problems
from catalogue_core.errors import InvalidRecord
from catalogue_core.scicat import from_scicat

# What only the metadata level can receive: odd keys, deep odd values, numbers at the edges.
EXTRA: list[Any] = [
    {"\ud800": 1}, {"": ""}, {"name": "x", "nameType": "Alien"}, 1e308, -0.0, 2**70, 1.0, "\u202e", "x" * 5000,
    [{"lang": 5}], {"date": "not a date", "dateType": "Issued"}, {"rightsUri": 5},
]  # fmt: skip
REAL = SHARED / "examples" / "scicat-real"
# The project's schema (DataCite 4.7: the package's 4.5 one, extended) walked by `jsonschema`.
REFERENCE = validator_for(datacite47.SCHEMA)(datacite47.SCHEMA)


class _ReferenceOnly:
    """The validator as it was before compilation: every record walked by `jsonschema`."""

    def problems(self, instance: Any) -> list[tuple[str, str]]:
        return reference_problems(REFERENCE, instance)


def _paths(value: Any, path: tuple = ()) -> Iterator[tuple]:
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*path, index))


def canonical_metadata() -> list[dict[str, Any]]:
    """Return the canonical metadata of every valid example document."""
    names = ["v3-registered-full.json", "v3-pending-minimal.json", "v4-public-minimal.json", "v4-registered-full.json"]
    return [from_scicat(scicat_example(name)).metadata for name in names]


def hostile_metadata(seed: int, count: int) -> Iterator[dict[str, Any]]:
    """Yield canonical metadata with one to three subtrees (or keys) replaced by odd values."""
    rng = random.Random(seed)
    bases = canonical_metadata()
    for _ in range(count):
        meta = copy.deepcopy(rng.choice(bases))
        for _ in range(rng.randint(1, 3)):
            *parent_path, last = rng.choice([p for p in _paths(meta) if p])
            parent = meta
            for key in parent_path:
                parent = parent[key]
            parent[last] = copy.deepcopy(rng.choice(VALUES + EXTRA))
        yield meta


def test_the_examples_pass_both_validators() -> None:
    compiled = CompiledSchema(datacite47.SCHEMA)
    for meta in canonical_metadata():
        assert compiled.is_valid(meta)
        assert reference_problems(REFERENCE, meta) == []


@pytest.mark.parametrize("seed", range(3))
def test_hostile_metadata_gets_the_same_verdict_and_errors_from_both(seed: int) -> None:
    compiled = CompiledSchema(datacite47.SCHEMA)
    refused = 0
    for meta in hostile_metadata(seed, 700):
        expected = reference_problems(REFERENCE, meta)
        assert compiled.is_valid(meta) == (not expected), meta
        assert compiled.problems(meta) == expected
        refused += bool(expected)
    assert refused > 200  # the corpus does reach the schema's refusals


def _outcome(document: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "accepted", from_scicat(copy.deepcopy(document)).metadata
    except InvalidRecord as exc:
        return exc.title, [p.as_dict() for p in exc.problems]


@pytest.mark.parametrize("seed", range(3))
def test_hostile_documents_are_refused_with_the_same_field_errors_as_before(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents = list(mutants(seed, 300)) + [scicat_example(n) for n in ("v4-private-refused.json",)]
    documents += [json.loads(p.read_text()) for p in sorted(REAL.glob("*.json"))]
    compiled = [_outcome(d) for d in documents]
    monkeypatch.setattr(datacite47, "COMPILED", _ReferenceOnly())
    assert [_outcome(d) for d in documents] == compiled
    assert any(kind == "accepted" for kind, _ in compiled)


def test_a_schema_defined_elsewhere_flows_through() -> None:
    schema = copy.deepcopy(schema45.validator.schema)
    schema["definitions"]["resourceTypeGeneral"]["enum"].append("Poster")  # as kernel 4.7 does
    meta = copy.deepcopy(canonical_metadata()[0])
    meta["types"]["resourceTypeGeneral"] = "Poster"
    assert CompiledSchema(schema).problems(meta) == []
    assert CompiledSchema(schema45.validator.schema).problems(meta)[0][0] == "metadata.types.resourceTypeGeneral"


def test_the_schema_read_from_the_package_file_is_the_packages_own() -> None:
    assert datacite47.package_schema() == schema45.validator.schema


def test_validating_a_record_does_not_import_the_datacite_package() -> None:
    # Its REST client imports idutils, ~0.5-1 s of CPU at each process start: only the writers' reference needs it.
    code = (
        "import sys, json; from catalogue_core.scicat import from_scicat;"
        f"from_scicat(json.load(open({str(SHARED / 'examples' / 'scicat' / 'v4-registered-full.json')!r})));"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('datacite', 'idutils')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
