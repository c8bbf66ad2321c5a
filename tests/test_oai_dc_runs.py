"""oai_dc's plain writer writes and raises what the general writer does, records after records."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from conftest import scicat_example

from catalogue_core.crosswalks import RenderContext, oai_dc
from catalogue_core.crosswalks.links import derived
from catalogue_core.record import PublishedRecord
from catalogue_core.scicat import from_scicat
from catalogue_core.xmltext import root, text

CONTEXT = RenderContext("https://doi.example.org", "PSI.DATA")
OTHER = {
    "creators": [{"name": "Okafor, Ada"}],
    "subjects": [{"subject": "diffraction"}],
    "publisher": {"name": "Paul Scherrer Institute"},
    "contributors": [{"name": "Larsen, Per", "contributorType": "DataCollector"}],
    "relatedIdentifiers": [
        {"relatedIdentifier": "10.1000/other", "relatedIdentifierType": "DOI", "relationType": "IsCitedBy"}
    ],
    "language": "de",
    "rightsList": [{"rights": "CC0 1.0", "rightsUri": "https://creativecommons.org/publicdomain/zero/1.0/"}],
    "geoLocations": [{"geoLocationPlace": "Villigen"}],
}


def _general(record: PublishedRecord) -> str:
    """Return the element as the general writer writes it: every value escaped, from groups()."""
    parts = [f"<dc:{name}>{text(value)}</dc:{name}>" for name, value in oai_dc.values(record, CONTEXT)]
    return root("oai_dc:dc", oai_dc._OPEN, parts)


def _record(n: int, **members: Any) -> PublishedRecord:
    doc = scicat_example("v4-registered-full.json")
    doc["doi"], doc["title"] = f"10.5555/dc-{n}", f"Runs #{n}"
    doc["metadata"].update(copy.deepcopy(members))
    return from_scicat(doc)


def test_records_that_take_turns_with_two_sets_of_values_each_get_their_own_element() -> None:
    records = [_record(n) if n % 2 == 0 else _record(n, **OTHER) for n in range(4)]
    for record in records + records[::-1]:
        assert derived(record, CONTEXT).plain
        assert oai_dc.render(record, CONTEXT) == _general(record)
    assert "Okafor" in oai_dc.render(records[1], CONTEXT) and "Okafor" not in oai_dc.render(records[2], CONTEXT)


def _outcome(record: PublishedRecord) -> str:
    try:
        return oai_dc.render(record, CONTEXT)
    except Exception as error:  # the outcome compared, whatever it is
        return f"raises {type(error).__name__}: {error}"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"creators": [{"name": 5}]}, "raises TypeError: bad argument type: int(5)"),
        ({"creators": [{"name": 5}], "publisher": {}}, "raises KeyError: 'name'"),
        ({"subjects": ["diffraction"]}, "raises AttributeError: 'str' object has no attribute 'get'"),
        ({"titles": [{"title": 3}], "types": {}}, "raises KeyError: 'resourceTypeGeneral'"),
        ({"rightsList": [{"rights": ["CC0"]}]}, "raises TypeError: bad argument type: list(['CC0'])"),
    ],
    ids=[
        "odd creator",
        "odd creator then no publisher name",
        "subject not a dict",
        "odd title then no type",
        "odd rights",
    ],
)
def test_odd_values_raise_what_the_general_writer_raises(changes: dict[str, Any], expected: str) -> None:
    record = _record(0)
    odd = PublishedRecord(doi=record.doi, metadata={**record.metadata, **changes}, extras=record.extras)
    for _ in range(2):  # the second time after the formats saw the record
        assert _outcome(odd) == expected
