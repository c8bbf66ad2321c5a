"""The JSON-LD written straight to text is byte for byte the dict path's (schemaorg.dataset, then tojson)."""

from __future__ import annotations

import copy
import random
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from test_page_parts_bytes import BASES, _documents

from catalogue_core.errors import InvalidRecord
from catalogue_core.scicat import from_scicat
from catalogue_core.store import StoredRecord
from landing import jsonld, parts, schemaorg
from landing.head import tojson
from landing.page import RecordPage
from landing.sections import record_sections
from oai_server import create_app

ODD = ["plain", "a & b < c > \"d\" 'e'", "\t\n\r \x7f \x00 ü 数据 \U0001f600 \u2028 \\", "", "<!--dmzpub:x-->"]


def _app(base: str, folder: str) -> Flask:
    return create_app({"DMZPUB_DATA_DIR": folder, "DMZPUB_BASE_URL": base})


def _page(key: str, doi: str, metadata: dict[str, Any], extras: dict[str, Any], base: str) -> RecordPage:
    stored = StoredRecord(key, doi, "", "", False, "", metadata=metadata, extras=extras)
    return RecordPage(stored, base)


def _old(page: RecordPage) -> str:
    """Return the head's JSON-LD as the dict path writes it, its live members turned to slots."""
    text = tojson(schemaorg.dataset(page, live=parts.SENTINELS, sections=record_sections(page)))
    for name, sentinel in parts.SENTINELS.items():
        text = text.replace(f', "{name}": {tojson(sentinel)}', parts.SLOT.format(name), 1)
    return text


def _new(page: RecordPage) -> str:
    return jsonld.text(page, record_sections(page), {name: parts.SLOT.format(name) for name in parts.LIVE_MEMBERS})


def _corpus_pages(base: str) -> Iterator[RecordPage]:
    for document in _documents().values():
        try:
            record = from_scicat(copy.deepcopy(document))
        except InvalidRecord:
            continue
        yield _page(record.key, record.doi, record.metadata, record.extras, base)


@pytest.mark.parametrize("base", BASES)
def test_every_corpus_record_s_json_ld_text_is_the_dict_path_s(base: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(base, tmp)
        with app.test_request_context("/", base_url=base + "/"):
            pages = list(_corpus_pages(base))
            assert len(pages) >= 23
            for page in pages:
                assert _new(page) == _old(page), page.doi


def _pick(rng: random.Random, *choices: Any) -> Any:
    return rng.choice(choices)


def _person(rng: random.Random) -> dict[str, Any]:
    person: dict[str, Any] = {"name": rng.choice([*ODD, "Nilsson, Karin", 7])}
    for key, value in [
        ("nameType", _pick(rng, "Personal", "Organizational", None)),
        ("givenName", _pick(rng, "Karin", "", 3, *ODD)),
        ("familyName", _pick(rng, "Nilsson", "", *ODD)),
        ("nameIdentifiers", [{"nameIdentifierScheme": "ORCID", "nameIdentifier": "0000-0002-1825-0097"}]),
        ("affiliation", [_pick(rng, "ESS", {"name": rng.choice(ODD), "affiliationIdentifier": "01wv9cn34",
                                             "affiliationIdentifierScheme": "ROR"},
                               {"name": "Lab", "affiliationIdentifier": "https://x.example/<a>"})
                         for _ in range(rng.randrange(3))]),
    ]:  # fmt: skip
        if rng.random() < 0.5:
            person[key] = value
    return person


def _metadata(rng: random.Random) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "titles": [{"title": rng.choice(ODD)}],
        "creators": [_person(rng) for _ in range(rng.randrange(4))],
        "publisher": _pick(rng, "ESS", {"name": rng.choice(ODD), "publisherIdentifier": "https://ror.org/01wv9cn34"}),
        "publicationYear": _pick(rng, 2025, "2024"),
    }
    optional: dict[str, Any] = {
        "descriptions": [{"description": rng.choice(ODD) * rng.randrange(1, 400), "descriptionType": "Abstract"}],
        "subjects": [{"subject": s} for s in rng.sample(ODD, rng.randrange(1, 4))],
        "rightsList": [
            {"rights": "CC BY", "rightsUri": u}
            for u in rng.sample(["https://c.example/1", "https://c.example/2"], rng.randrange(1, 3))
        ],
        "relatedIdentifiers": [
            {"relatedIdentifier": "10.1234/a<b", "relatedIdentifierType": "DOI", "relationType": "IsSupplementTo"},
            {"relatedIdentifier": "https://x.example/p", "relatedIdentifierType": "URL", "relationType": "IsCitedBy"},
            {"relatedIdentifier": "10.1234/pid", "relatedIdentifierType": "DOI", "relationType": "IsCitedBy"},
        ],
        "fundingReferences": [
            {
                "funderName": rng.choice(ODD),
                "funderIdentifier": "10.13039/501100000780",
                "funderIdentifierType": "Crossref Funder ID",
            },
            {"funderName": "", "awardNumber": "1"},
            {"funderName": "EU"},
        ],
        "language": _pick(rng, "en", "de-CH", *ODD),
        "version": _pick(rng, "1.0", 2, 1.5, True, *ODD),
        "dates": [{"date": "2025-06-02", "dateType": "Issued"}],
    }
    for key, value in optional.items():
        if rng.random() < 0.6:
            meta[key] = value
    return meta


def _extras(rng: random.Random) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    if rng.random() < 0.5:
        extras["url"] = _pick(rng, "https://scicat.example/d/1?a=1&b=2", "javascript:x", 3)
    if rng.random() < 0.5:
        extras["thumbnail"] = {"sha256": "ab" * 32}
    if rng.random() < 0.5:
        extras["datasetPids"] = ["10.1234/pid", 5]
    return extras


@pytest.mark.parametrize("seed", range(4))
def test_random_metadata_s_json_ld_text_is_the_dict_path_s(seed: int) -> None:
    rng = random.Random(seed)
    base = BASES[seed % 2]
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(base, tmp)
        with app.test_request_context("/", base_url=base + "/"):
            for i in range(300):
                page = _page(f"k{i}/x y", rng.choice(["10.1234/A", "10.1234/<&'>"]), _metadata(rng), _extras(rng), base)
                assert _new(page) == _old(page), page.meta


def test_a_page_s_parts_keep_the_dict_path_s_head_when_tojson_is_configured_otherwise() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(BASES[0], tmp)
        app.jinja_env.policies["json.dumps_kwargs"] = {"sort_keys": True, "indent": 1}
        render = parts.writer(app)
        record = from_scicat(copy.deepcopy(_documents()["rich"]))
        head = parts.Parts.loads(render(record))
        assert head is not None
        assert '{\n "@context": "https://schema.org",' in head.head  # indented: the app's own tojson wrote it
