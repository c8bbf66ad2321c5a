"""Contract of Repository.browse and .summary on both stores: newest first, keyset pages, word search."""

from __future__ import annotations

import pytest
from conftest import v4_document

from catalogue_core.record_writer import RecordWriter
from catalogue_core.store import Repository, base, sqlite_search
from catalogue_core.store.sqlite import SQLiteRepository

RECORDS = [
    # (doi, title, creator, keyword)
    ("10.1234/Alpha-001", "Neutron scattering of protein crowding", "Nilsson, Karin", "SANS"),
    ("10.1234/beta-002", "X-ray tomography of a fossil", "Doe, Jane", "tomography"),
    ("10.1234/gamma-003", "Müller's crystals under pressure", "Smith, John", "high pressure"),
    ("10.5555/delta-004", "Neutron imaging of batteries", "Larsen, Per", "batteries"),
    ("10.5555/epsilon-005", "Scattering length densities", "Nilsen, Ola", "neutron"),
]


@pytest.fixture
def filled(repo: Repository, monkeypatch: pytest.MonkeyPatch) -> Repository:
    """Return the repository holding RECORDS, created one minute apart in list order."""
    now = [1_700_000_000.0]
    monkeypatch.setattr(base, "utcnow", lambda: now[0])
    publisher = RecordWriter(repo)
    for doi, title, creator, keyword in RECORDS:
        doc = v4_document(doi, title, creators=[{"name": creator}], subjects=[{"subject": keyword}])
        publisher.publish(doc)
        now[0] += 60
    return repo


def dois(records: list[base.StoredRecord]) -> list[str]:
    return [r.doi for r in records]


def test_browse_lists_newest_first_with_metadata(filled: Repository) -> None:
    got = filled.browse(None, None, 10)
    assert dois(got) == [doi for doi, *_ in reversed(RECORDS)]
    assert got[0].metadata["titles"][0]["title"] == "Scattering length densities"
    assert got[0].created == "2023-11-14T22:17:20Z" and got[0].payload is None and got[0].rendered == {}


@pytest.mark.parametrize("page", [1, 2, 4])
def test_browse_keyset_pages_cover_everything_once(filled: Repository, page: int) -> None:
    seen, before = [], None
    while batch := filled.browse(None, before, page):
        assert len(batch) <= page
        seen.extend(batch)
        before = (batch[-1].created, batch[-1].key)
    assert dois(seen) == [doi for doi, *_ in reversed(RECORDS)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("neutron", ["10.5555/epsilon-005", "10.5555/delta-004", "10.1234/Alpha-001"]),  # title or keyword
        ("NEUTRON scat", ["10.5555/epsilon-005", "10.1234/Alpha-001"]),  # every term, case-insensitive
        ("scat", ["10.5555/epsilon-005", "10.1234/Alpha-001"]),  # word prefix
        ("cattering", []),  # only at a word start
        ("nilsson", ["10.1234/Alpha-001"]),  # creator
        ("karin nilsson", ["10.1234/Alpha-001"]),  # creator, any order of terms
        ("10.1234/alpha-001", ["10.1234/Alpha-001"]),  # whole DOI
        ("10.5555/", ["10.5555/epsilon-005", "10.5555/delta-004"]),  # DOI prefix
        ("high-pressure", ["10.1234/gamma-003"]),  # words in sequence
        ("pressure high", ["10.1234/gamma-003"]),
        ("tomography", ["10.1234/beta-002"]),
        ("müller", ["10.1234/gamma-003"]),
        ("MULLER", ["10.1234/gamma-003"]),  # accents and case folded on both stores
        ('"; DROP TABLE records; --', []),  # query syntax is inert
        ("*** ???", [doi for doi, *_ in reversed(RECORDS)]),  # no words: everything
        ("", [doi for doi, *_ in reversed(RECORDS)]),
    ],
)
@pytest.mark.parametrize("dense", [False, True], ids=["sparse", "dense"])
def test_browse_searches_title_creator_doi_and_keyword(
    filled: Repository, text: str, expected: list[str], dense: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if dense:  # SQLite walks its newest-first index when a search matches many records
        monkeypatch.setattr(sqlite_search, "DENSE", 1)
    assert dois(filled.browse(text, None, 10)) == expected
    if len(expected) > 1:  # and pages the same way with either plan
        first = filled.browse(text, None, 1)
        assert dois(first + filled.browse(text, (first[0].created, first[0].key), 10)) == expected


def test_browse_search_pages_with_keyset(filled: Repository) -> None:
    first = filled.browse("neutron", None, 2)
    rest = filled.browse("neutron", (first[-1].created, first[-1].key), 2)
    assert dois(first + rest) == ["10.5555/epsilon-005", "10.5555/delta-004", "10.1234/Alpha-001"]


def test_browse_leaves_out_withdrawn_and_follows_updates(filled: Repository) -> None:
    filled.withdraw("10.5555/delta-004")
    publisher = RecordWriter(filled)
    publisher.publish(v4_document("10.1234/beta-002", "Renamed: neutron radiography", creators=[{"name": "Doe, J"}]))
    assert dois(filled.browse("neutron", None, 10)) == ["10.5555/epsilon-005", "10.1234/beta-002", "10.1234/Alpha-001"]
    assert filled.browse("tomography", None, 10) == []  # the old title is no longer found
    assert "10.5555/delta-004" not in dois(filled.browse(None, None, 10))


def test_sqlite_search_index_is_filled_for_an_existing_store(tmp_path: object) -> None:
    path = tmp_path / "old.sqlite"  # type: ignore[operator]
    repo = SQLiteRepository(path)
    RecordWriter(repo).publish(v4_document("10.1234/old-1", "Legacy record"))
    db = repo._db()
    db.executescript("DROP TABLE records_fts;")  # as a store from before the search index
    repo.close()
    reopened = SQLiteRepository(path)
    assert dois(reopened.browse("legacy", None, 5)) == ["10.1234/old-1"]
    reopened.close()


def test_sqlite_browse_walks_the_indexes(tmp_path: object) -> None:
    repo = SQLiteRepository(tmp_path / "plan.sqlite")  # type: ignore[operator]
    plan = repo._read(
        "EXPLAIN QUERY PLAN SELECT key FROM records r WHERE r.deleted = 0 AND (r.created, r.key) < ('x', 'y')"
        " ORDER BY r.created DESC, r.key DESC LIMIT 5"
    )
    details = " ".join(row[3] for row in plan)
    assert "records_live_created" in details and "TEMP B-TREE" not in details
    repo.close()


def test_summary_is_the_record_without_its_content(filled: Repository) -> None:
    full = filled.get("10.1234/alpha-001")
    got = filled.summary("10.1234/alpha-001")
    assert got is not None and full is not None
    assert (got.key, got.doi, got.datestamp, got.created, got.content_hash, got.sets, got.deleted) == (
        full.key,
        full.doi,
        full.datestamp,
        full.created,
        full.content_hash,
        full.sets,
        False,
    )
    assert got.metadata == {} and got.rendered == {} and got.payload is None
    filled.withdraw("10.1234/alpha-001", "wrong sample")
    gone = filled.summary("10.1234/alpha-001")
    assert gone is not None and (gone.deleted, gone.reason) == (True, "wrong sample")
    assert filled.summary("10.1234/never") is None
