"""landing/main.py writes a record page's body byte for byte as the Jinja template it replaced did.

tests/templates/record_main_jinja.html is templates/landing/record_main.html as it was before
(da43307's markup): both render the same context, on the shared corpus and on a few hundred random
records that take every branch (missing, empty, None and hostile values, one and many of each list).
"""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import pytest
from jinja2 import FileSystemLoader
from landing_data import rich_document
from markupsafe import Markup
from test_page_parts_bytes import _documents

from catalogue_core.errors import InvalidRecord
from catalogue_core.scicat import from_scicat
from catalogue_core.store import StoredRecord
from landing import citation
from landing.context import base_url
from landing.exports import EXPORTS
from landing.main import record_main
from landing.page import RecordPage
from landing.parts import Parts, writer
from landing.sections import record_sections
from oai_server import create_app

OLD = Path(__file__).with_name("templates")
NASTY = [
    "a & b",
    '<b>"x"</b>',
    "'quoted'",
    "plain",
    "ü 数据",
    "",
    "  spaced  ",
    "https://x.example/?a=1&b=2",
    "\u202eRTL \u05e9\u05dc\u05d5\u05dd",
    "non-BMP \U0001d518 \U0001f600",
    "ctl \x01\x0b\x7f\x85 \u2028 end",
]


def _text(rng: random.Random) -> str:
    return rng.choice(NASTY) + rng.choice(["", " tail", " & more"])


def _maybe(rng: random.Random, value: Any) -> Any:
    return value if rng.random() < 0.6 else rng.choice([None, "", 0])


def _person(rng: random.Random, contributor: bool) -> dict[str, Any]:
    person: dict[str, Any] = {"name": rng.choice(["Doe, Jane", "Solo", "A B C", "<x> & y", "", "Ann O'Neil"])}
    if rng.random() < 0.5:
        person["nameIdentifiers"] = [{"nameIdentifier": "0000-0002-1825-0097", "nameIdentifierScheme": "ORCID"}]
    person["affiliation"] = [
        rng.choice(["ESS", "PSI & co", {"name": "Lund", "affiliationIdentifier": "https://ror.org/012a77v79"}, 7])
        for _ in range(rng.randrange(4))
    ]
    if contributor and rng.random() < 0.7:
        person["contributorType"] = rng.choice(["DataCurator", "ContactPerson", "Other"])
    return person


def _metadata(rng: random.Random) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "creators": [_person(rng, False) for _ in range(rng.randrange(1, 5))],
        "titles": [{"title": _text(rng)}] + [{"title": _text(rng), "titleType": "Subtitle"}] * rng.randrange(3),
        "publisher": rng.choice(["PSI", {"name": "ESS & co", "publisherIdentifier": "https://ror.org/01wv9cn34"}]),
        "types": {"resourceTypeGeneral": rng.choice(["Dataset", "Software", None])},
        "descriptions": [
            {"description": _text(rng) + rng.choice(["\n\nsecond", "\nline", ""]), "descriptionType": kind}
            for kind in rng.sample(["Abstract", "Methods", "Other", "TechnicalInfo"], rng.randrange(4))
        ],
        "subjects": [{"subject": _text(rng)} for _ in range(rng.randrange(4))],
        "relatedIdentifiers": [
            {"relatedIdentifier": ident, "relatedIdentifierType": scheme, "relationType": "IsCitedBy"}
            for ident, scheme in rng.sample(
                [("10.1/x", "DOI"), ("abc<", "Other"), ("https://e.org/a&b", "URL"), ("2101.1", "arXiv")],
                rng.randrange(4),
            )
        ],
        "fundingReferences": [
            {
                "funderName": _text(rng),
                "funderIdentifier": _maybe(rng, "https://ror.org/01wv9cn34"),
                "awardNumber": _maybe(rng, rng.choice(["A-1 & 2", 42])),
                "awardURI": _maybe(rng, "https://cordis.example/a?b=1&c=2"),
                "awardTitle": _maybe(rng, _text(rng)),
            }
            for _ in range(rng.randrange(3))
        ],
        "contributors": [_person(rng, True) for _ in range(rng.randrange(3))],
        "rightsList": [{"rights": _text(rng) or "CC", "rightsUri": _maybe(rng, "https://cc.example/by")}]
        * rng.randrange(3),
        "dates": [{"date": "2024-01-02/2024-02-03", "dateType": "Collected"}] * rng.randrange(2)
        + [{"date": "2024-05-06", "dateType": "Issued", "dateInformation": "first"}] * rng.randrange(2),
        "geoLocations": [{"geoLocationPlace": _text(rng)}] * rng.randrange(3),
    }
    if (subtype := rng.choice([None, "dataset", "Raw <data>", 3])) is not None:
        meta["types"]["resourceType"] = subtype
    for key, choices in (("version", ["1.0", 2, "", None, "<v>"]), ("publicationYear", [2024, "2025", None])):
        if rng.random() < 0.7:
            meta[key] = rng.choice(choices)
    if rng.random() < 0.5:
        meta["language"] = rng.choice(["en", "de-CH", "xx", ""])
    return meta


def _extras(rng: random.Random) -> dict[str, Any]:
    extras: dict[str, Any] = {
        "numberOfFiles": rng.choice([None, 0, 7, 1234567]),
        "sizeOfArchive": rng.choice([None, 999, 123456789]),
        "status": rng.choice(["registered", "pending_registration"]),
        "url": rng.choice([None, "https://scicat.example/datasets/a&b", "javascript:alert(1)"]),
        "datasetPids": rng.sample(["pid/1", "pid<2>", "10.1/x"], rng.randrange(4)),
    }
    if rng.random() < 0.3:
        extras["thumbnail"] = {"sha256": "ab" * 32}
    return extras


def _stored(index: int, metadata: dict[str, Any], extras: dict[str, Any]) -> StoredRecord:
    doi = f"10.1234/MAIN-{index}"
    return StoredRecord(
        key=doi.lower(),
        doi=doi,
        datestamp="",
        created="",
        deleted=False,
        content_hash="",
        metadata=metadata,
        extras=extras,
    )


def _records() -> list[StoredRecord]:
    out = []
    for i, document in enumerate(_documents().values()):
        try:
            record = from_scicat(copy.deepcopy(document))
        except InvalidRecord:
            continue
        out.append(_stored(i, record.metadata, record.extras))
    rng = random.Random(13)
    return out + [_stored(1000 + i, _metadata(rng), _extras(rng)) for i in range(400)]


@pytest.mark.parametrize("base", ["https://doi.example.org", "https://pub.example.org/dmz"])
def test_the_body_written_in_python_equals_the_old_template_on_every_record(base: str, tmp_path: Path) -> None:
    app = create_app({"DMZPUB_DATA_DIR": str(tmp_path), "DMZPUB_BASE_URL": base})
    # Loaded by file name, so it is autoescaped as the app's .html templates are.
    old = app.jinja_env.overlay(loader=FileSystemLoader(OLD)).get_template("record_main_jinja.html")
    new = app.jinja_env.get_template("landing/record_main.html")  # calls record_main with its context
    slots = {"downloads": Markup("<!--dmzpub:downloads-->"), "updated": Markup("<!--dmzpub:updated-->")}
    records = _records()
    assert len(records) > 400
    with app.test_request_context("/", base_url=base + "/"):
        base_context: dict[str, Any] = {}
        app.update_template_context(base_context)
        differ = []
        for stored in records:
            page = RecordPage(stored, base_url())
            sections = record_sections(page)
            cite = citation.datacite(page.doi, page.meta, page.creators)
            bib = citation.bibtex(page.doi, page.meta, page.landing_url, page.creators)
            context = {"page": page, "slots": slots, "citation": cite, "bibtex": bib, "exports": EXPORTS}
            expected = old.render({**base_context, **context, **sections})
            direct = str(record_main(page, slots, cite, bib, EXPORTS, sections))
            if direct != expected or new.render({**base_context, **context, **sections}) != expected:
                differ.append(stored.doi)
        assert differ == []


def test_a_facility_s_own_body_and_head_templates_still_win_at_write_time(tmp_path: Path) -> None:
    folder = tmp_path / "templates" / "landing"
    folder.mkdir(parents=True)
    (folder / "record_main.html").write_text("<p>Own body of {{ page.doi }} by {{ publisher }}</p>", encoding="utf-8")
    (folder / "meta.html").write_text('<meta name="own" content="{{ issued }}">', encoding="utf-8")
    config = {"DMZPUB_DATA_DIR": str(tmp_path / "data"), "DMZPUB_BASE_URL": "https://doi.example.org"}
    own = create_app({**config, "DMZPUB_TEMPLATE_DIR": str(tmp_path / "templates")})
    built_in = create_app(config)
    record = from_scicat(rich_document())
    parts = Parts.loads(writer(own)(record))
    plain = Parts.loads(writer(built_in)(record))
    assert parts is not None and plain is not None
    assert parts.main == f"<p>Own body of {record.doi} by {parts.publisher}</p>"
    assert parts.head.startswith('<meta name="own" content="') and "Own body" not in plain.main
