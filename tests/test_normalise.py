"""SciCat PublishedData (v3 and v4) becomes one canonical DataCite 4.x record."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from conftest import scicat_example, v4_document
from datacite import schema45

from catalogue_core.doi import doi_key, normalize_doi
from catalogue_core.errors import InvalidDOI, InvalidRecord, NotPublishable
from catalogue_core.scicat import from_scicat


@pytest.mark.parametrize(
    "name", ["v3-registered-full.json", "v3-pending-minimal.json", "v4-public-minimal.json", "v4-registered-full.json"]
)
def test_examples_normalise_to_valid_datacite(name: str) -> None:
    document = scicat_example(name)
    record = from_scicat(document)
    assert schema45.validate(record.metadata)
    assert record.payload == document
    assert record.metadata["doi"] == document["doi"]
    assert record.metadata["titles"][0]["title"] == document["title"]


def test_v3_fields_map_to_datacite() -> None:
    meta = from_scicat(scicat_example("v3-registered-full.json")).metadata
    # "Given Family", split as SciCat's own DataCite XML splits it.
    assert [(c["name"], c["givenName"], c["familyName"]) for c in meta["creators"]] == [
        ("Doe, Jane", "Jane", "Doe"),
        ("Smith, John", "John", "Smith"),
    ]
    assert meta["creators"][0]["affiliation"] == [{"name": "Paul Scherrer Institute"}]
    assert meta["publisher"] == {"name": "PSI"} and meta["publicationYear"] == "2021"
    assert meta["types"] == {"resourceTypeGeneral": "Dataset", "resourceType": "raw"}
    related = {
        (r["relatedIdentifier"], r["relatedIdentifierType"], r["relationType"]) for r in meta["relatedIdentifiers"]
    }
    assert ("10.1000/xyz123", "DOI", "IsSupplementTo") in related
    assert ("20.500.11935/6bc45319-e0ce-4cac-97fd-e0199caf8024", "Handle", "HasPart") in related
    kinds = {d["descriptionType"]: d["description"] for d in meta["descriptions"]}
    assert kinds["Abstract"].startswith("Synchrotron") and kinds["TechnicalInfo"].startswith("https://github.com")
    assert {"2104 files", "17179869184 bytes"} <= set(meta["sizes"])
    assert {"date": "2021-01-16", "dateType": "Issued"} in meta["dates"]


def test_v3_family_given_names_are_split() -> None:
    creator = from_scicat(scicat_example("v3-pending-minimal.json")).metadata["creators"][0]
    assert creator == {"name": "Müller, Anna", "nameType": "Personal", "familyName": "Müller", "givenName": "Anna"}


def test_v4_metadata_passes_through() -> None:
    document = scicat_example("v4-registered-full.json")
    record = from_scicat(document)
    meta = record.metadata
    assert meta["creators"][0]["nameIdentifiers"][0]["nameIdentifier"] == "https://orcid.org/0000-0002-1825-0097"
    assert meta["publisher"]["publisherIdentifier"] == "https://ror.org/01wv9cn34"
    for key in ("subjects", "contributors", "rightsList", "fundingReferences", "language"):
        assert meta[key] == document["metadata"][key] or key == "dates"
    assert record.extras["datasetPids"] == document["datasetPids"]
    assert record.extras["downloadLink"] == "https://public.esss.dk/data/loki/2025/00042/"
    assert record.extras["sizeOfArchive"] == 734003200


def test_content_hash_ignores_payload_noise_but_not_content() -> None:
    document = scicat_example("v4-registered-full.json")
    noisy = {**copy.deepcopy(document), "updatedAt": "2030-01-01T00:00:00Z"}
    changed = {**copy.deepcopy(document), "title": "Another title"}
    assert from_scicat(document).content_hash == from_scicat(noisy).content_hash
    assert from_scicat(document).content_hash != from_scicat(changed).content_hash


def test_private_is_refused() -> None:
    with pytest.raises(NotPublishable) as info:
        from_scicat(scicat_example("v4-private-refused.json"))
    assert info.value.title == "private records are not published"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": 42}, "title"),
        ({"doi": "11.1234/x"}, "doi"),
        ({"doi": None}, "doi"),
        ({"status": "deleted"}, "status"),
        ({"numberOfFiles": -1}, "numberOfFiles"),
        ({"sizeOfArchive": "big"}, "sizeOfArchive"),
        ({"metadata": {"publisher": {"name": "P"}, "publicationYear": 2020}}, "metadata.creators"),
        ({"metadata": {"creators": [{"name": "A"}], "publicationYear": 2020}}, "metadata.publisher.name"),
        ({"metadata": {"creators": [{"name": "A"}], "publisher": "P"}}, "metadata.publicationYear"),
        (
            {"metadata": {"creators": [{"name": "A"}], "publisher": "P", "publicationYear": 20}},
            "metadata.publicationYear",
        ),
        ({"metadata": {"creators": [{}], "publisher": "P", "publicationYear": 2020}}, "metadata.creators[0].name"),
        ({"metadata": "not an object"}, "metadata"),
        (
            {
                "metadata": {
                    "creators": [{"name": "A"}],
                    "publisher": "P",
                    "publicationYear": 2020,
                    "subjects": "not a list",
                }
            },
            "metadata.subjects",
        ),
    ],
)
def test_bad_v4_fields_are_named(change: dict[str, Any], field: str) -> None:
    document = {**v4_document("10.1234/abc"), **change}
    with pytest.raises(InvalidRecord) as info:
        from_scicat(document)
    assert field in [p.field for p in info.value.problems]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"creator": []}, "creator"),
        ({"creator": [""]}, "creator"),
        ({"publisher": None}, "publisher"),
        ({"publicationYear": "soon"}, "publicationYear"),
        ({"pidArray": "x"}, "pidArray"),
    ],
)
def test_bad_v3_fields_are_named(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRecord) as info:
        from_scicat({**scicat_example("v3-pending-minimal.json"), **change})
    assert field in [p.field for p in info.value.problems]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InvalidRecord) as info:
        from_scicat({"doi": "nope", "title": "", "creator": [], "publisher": "", "publicationYear": None})
    assert {"doi", "title", "creator", "publisher", "publicationYear"} <= {p.field for p in info.value.problems}


def test_url_doi_must_match_body() -> None:
    with pytest.raises(InvalidRecord) as info:
        from_scicat(v4_document("10.1234/abc"), doi="10.1234/other")
    assert [p.field for p in info.value.problems] == ["doi"]
    assert from_scicat(v4_document("10.1234/ABC"), doi="10.1234/abc").key == "10.1234/abc"


def test_hostile_text_is_cleaned() -> None:
    record = from_scicat(v4_document("10.1234/abc", "  Bad\x00\x07 title\ufffe with <b>markup</b>\x1b "))
    assert record.title == "Bad title with <b>markup</b>"


@pytest.mark.parametrize(
    ("raw", "doi"),
    [
        ("10.1234/ABC", "10.1234/ABC"),
        ("doi:10.1234/abc", "10.1234/abc"),
        ("DOI:10.1234/abc", "10.1234/abc"),
        ("https://doi.org/10.1234/a%2Fb", "10.1234/a/b"),
        ("http://dx.doi.org/10.1234/x", "10.1234/x"),
        (" 10.12345.6/x/y ", "10.12345.6/x/y"),
    ],
)
def test_doi_forms(raw: str, doi: str) -> None:
    assert normalize_doi(raw) == doi
    assert doi_key(raw) == doi.lower()


@pytest.mark.parametrize("raw", ["", "10.12/x", "10.1234", "10.1234/", "x10.1234/y", "10.1234/a b", 1234, None])
def test_bad_dois(raw: object) -> None:
    with pytest.raises(InvalidDOI):
        normalize_doi(raw)


def _normalize_before(value: object) -> str:
    """normalize_doi as it was before its one fullmatch: a match of the DOI pattern and a search for controls."""
    import re
    from urllib.parse import unquote

    if not isinstance(value, str):
        raise InvalidDOI(value, "doi")
    doi = value.strip()
    prefixes = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi.org/", "doi:")
    for prefix in prefixes:
        if doi.lower().startswith(prefix):
            doi = doi[len(prefix) :]
            doi = unquote(doi) if prefix.startswith("http") else doi
            break
    if len(doi) > 1000 or not re.match(r"^10\.\d{4,9}(?:\.\d+)*/\S+$", doi) or re.search(r"[\x00-\x1f]", doi):
        raise InvalidDOI(value, "doi")
    return doi


def test_random_dois_are_normalised_or_refused_as_the_match_and_control_search_did() -> None:
    import random

    pieces = ["10.", "1234", ".6", "/", "abc", "X", " ", "\n", "\t", "\x00", "\x1f", "\x1c", "\x7f", "\x85", "\u2028"]
    pieces += ["\xa0", "é", "٣", "%2F", "%0A", "%00"]
    pieces += ["https://doi.org/", "HTTP://DX.DOI.ORG/", "doi:", "DOI:", "doi.org/"]
    rng = random.Random(17)
    values: list[object] = [None, 7, "10.1234/" + "x" * 992, "10.1234/" + "x" * 993, "10.1234/a\n", " 10.1234/a \n"]
    for _ in range(30000):
        start = rng.choice(["", "10.1234/", "https://doi.org/10.5555/", "doi:10.12345.6/"])
        values.append(start + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8))))
    outcomes = set()
    for value in values:
        try:
            want: object = _normalize_before(value)
        except InvalidDOI:
            want = InvalidDOI
        try:
            got: object = normalize_doi(value)
        except InvalidDOI:
            got = InvalidDOI
        assert got == want, repr(value)
        outcomes.add(got is InvalidDOI)
    assert outcomes == {True, False}  # both accepted and refused values were tried
