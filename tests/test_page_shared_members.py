"""Pages whose creators, contributors, funders, licences or related works have the same JSON share what was written
of them, and each page still gets its own text."""

from __future__ import annotations

import copy
from collections import ChainMap
from pathlib import Path
from typing import Any

from landing_data import rich_document
from markupsafe import Markup

from catalogue_core.scicat import from_scicat
from landing import page as page_module
from landing.exports import EXPORTS
from landing.main import record_main
from landing.parts import writer, written_page
from landing.sections import record_sections
from oai_server import create_app

BASE = "https://doi.example.org"


def _document(n: int, creators: list[dict[str, Any]], **members: Any) -> dict[str, Any]:
    doc = rich_document()
    doc["doi"], doc["title"] = f"10.5555/shared-{n}", f"Shared creators #{n}"
    doc["metadata"]["creators"] = copy.deepcopy(creators)
    doc["metadata"].update(copy.deepcopy(members))
    return doc


OTHER = {
    "contributors": [{"name": "Okafor, Ada", "contributorType": "ProjectLeader"}],
    "fundingReferences": [{"funderName": "Swiss National Science Foundation", "awardNumber": "200021"}],
    "rightsList": [{"rights": "CC0 1.0", "rightsUri": "https://creativecommons.org/publicdomain/zero/1.0/"}],
    "relatedIdentifiers": [
        {"relatedIdentifier": "10.1000/other", "relatedIdentifierType": "DOI", "relationType": "IsCitedBy"}
    ],
}


def test_records_that_take_turns_with_two_sets_of_members_get_the_parts_a_fresh_process_would(tmp_path: Path) -> None:
    first = rich_document()["metadata"]["creators"]
    second = [{"name": "Okafor, Ada", "nameType": "Personal", "familyName": "Okafor", "givenName": "Ada"}]
    app = create_app({"DMZPUB_DATA_DIR": str(tmp_path), "DMZPUB_BASE_URL": BASE})
    render = writer(app)
    records = [from_scicat(_document(n, first) if n % 2 == 0 else _document(n, second, **OTHER)) for n in range(4)]
    shared = [render(record) for record in records]
    fresh = []
    for record in records:
        for memo in page_module._SHARED.values():  # nothing written before: each record's parts on their own
            memo.entries.clear()
        fresh.append(render(record))
    assert shared == fresh
    for text in ("Okafor", "Swiss National", "CC0 1.0", "10.1000/other"):
        assert text in shared[1] and text not in shared[2]


def test_each_page_has_its_own_lists_of_shared_creators_and_bylines() -> None:
    creators = rich_document()["metadata"]["creators"]
    pages = [written_page(from_scicat(_document(n, creators)), BASE) for n in range(2)]
    assert pages[0].creators == pages[1].creators and pages[0].creators is not pages[1].creators
    pages[0].creators.clear()
    assert pages[1].creators and written_page(from_scicat(_document(3, creators)), BASE).creators
    app = create_app({"DMZPUB_DATA_DIR": "/nonexistent", "DMZPUB_BASE_URL": BASE})
    with app.test_request_context("/"):
        sections = [record_sections(page) for page in pages]  # the first page's creators cleared: shows the shared
    assert sections[0]["bylines"] == sections[1]["bylines"] and sections[0]["bylines"] is not sections[1]["bylines"]
    assert len(sections[0]["bylines"]) == len(creators)


def test_a_template_context_with_bylines_funding_and_contributors_of_its_own_shows_those(tmp_path: Path) -> None:
    app = create_app({"DMZPUB_DATA_DIR": str(tmp_path), "DMZPUB_BASE_URL": BASE})
    page = written_page(from_scicat(_document(1, rich_document()["metadata"]["creators"])), BASE)
    slots = {"downloads": Markup(""), "updated": Markup("")}
    own = {"bylines": [], "affiliations": [], "funding": [], "contributors": []}
    with app.test_request_context("/"):
        sections = record_sections(page)
        shown = record_main(page, slots, "", "", EXPORTS, sections)
        set_in_template = record_main(page, slots, "", "", EXPORTS, ChainMap(own, sections))
    for text in ("Nilsson", "European Commission", "Larsen"):
        assert text in shown and text not in set_in_template
