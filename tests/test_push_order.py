"""Order per DOI: a write older than the DOI's last one (X-Dmzpub-Sequence) is refused with 409."""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Pusher, v4_document

from catalogue_core.errors import RecordNotFound, StoreError
from catalogue_core.record_writer import RecordWriter
from catalogue_core.scicat import from_scicat
from catalogue_core.store import Repository
from catalogue_core.store.mongo import MongoRepository
from catalogue_core.store.sqlite import SQLiteRepository

DOI = "10.5555/order-1"


def _entry(repo: Repository, title: str, sequence: int) -> Any:
    entry = RecordWriter(repo).entry(from_scicat(v4_document(DOI, title=title)))
    return dataclasses.replace(entry, sequence=sequence)


def test_a_put_older_than_a_later_withdrawal_is_stale_and_changes_nothing(repo: Repository) -> None:
    assert repo.put([_entry(repo, "One", 5)])[0].outcome == "created"
    assert repo.withdraw(DOI, "retracted", sequence=7).outcome == "withdrawn"
    assert repo.put([_entry(repo, "Delayed", 6)])[0].outcome == "stale"
    assert repo.get(DOI).deleted
    assert repo.put([_entry(repo, "Newer", 8)])[0].outcome == "updated"
    assert repo.withdraw(DOI, sequence=7).outcome == "stale"
    assert not repo.get(DOI).deleted


def test_a_withdrawal_of_a_doi_not_yet_held_still_orders_a_later_arriving_older_put(repo: Repository) -> None:
    with pytest.raises(RecordNotFound):
        repo.withdraw(DOI, sequence=9)
    assert repo.put([_entry(repo, "Delayed", 8)])[0].outcome == "stale"
    assert repo.get(DOI) is None


def test_the_same_sequence_again_is_a_retry_not_a_stale_write(repo: Repository) -> None:
    assert repo.put([_entry(repo, "One", 5)])[0].outcome == "created"
    assert repo.put([_entry(repo, "One", 5)])[0].outcome == "unchanged"


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_the_push_api_refuses_a_stale_put_with_409_problem_json(pusher: Pusher, store_kind: str) -> None:
    first = pusher.client.put(
        f"/api/v1/published/{DOI}", json=v4_document(DOI), headers={**pusher.headers, "X-Dmzpub-Sequence": "5"}
    )
    assert first.status_code == 201
    gone = pusher.client.delete(f"/api/v1/published/{DOI}", headers={**pusher.headers, "X-Dmzpub-Sequence": "7"})
    assert gone.status_code == 200
    late = pusher.client.put(
        f"/api/v1/published/{DOI}", json=v4_document(DOI), headers={**pusher.headers, "X-Dmzpub-Sequence": "6"}
    )
    assert late.status_code == 409 and late.mimetype == "application/problem+json"
    assert late.json["errors"][0]["field"] == "X-Dmzpub-Sequence"
    assert pusher.get(DOI).json["deleted"]


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_the_bulk_api_takes_one_sequence_per_document_and_marks_stale_items_409(
    pusher: Pusher, store_kind: str
) -> None:
    other = "10.5555/order-2"
    assert pusher.client.delete(f"/api/v1/published/{DOI}", headers={**pusher.headers, "X-Dmzpub-Sequence": "7"})
    response = pusher.client.post(
        "/api/v1/published",
        json=[v4_document(DOI), v4_document(other)],
        headers={**pusher.headers, "X-Dmzpub-Sequence": "6, 8"},
    )
    assert response.status_code == 207
    items = response.json["items"]
    assert (items[0]["status"], items[0]["httpStatus"]) == ("stale", 409)
    assert (items[1]["status"], items[1]["httpStatus"]) == ("created", 201)
    assert pusher.get(DOI).status_code == 404


@pytest.mark.parametrize("store_kind", ["sqlite"])
@pytest.mark.parametrize("value", ["abc", "-1", "1" * 30, "1,2"])
def test_a_malformed_sequence_is_a_400_naming_the_header(pusher: Pusher, store_kind: str, value: str) -> None:
    response = pusher.client.put(
        f"/api/v1/published/{DOI}", json=v4_document(DOI), headers={**pusher.headers, "X-Dmzpub-Sequence": value}
    )
    assert response.status_code == 400 and response.json["errors"][0]["field"] == "X-Dmzpub-Sequence"


@contextlib.contextmanager
def _record_writes_fail(repo: Repository, command: str) -> Iterator[None]:
    """Make the store refuse the next record write (the one after the sequence claim), as a crash there would."""
    if isinstance(repo, MongoRepository):
        namespace = repo.records.full_name  # only the records: the sequence claim and in-flight marker still pass
        data = {"failCommands": [command], "namespace": namespace, "errorCode": 2, "errorMessage": "injected failure"}
        repo.client.admin.command({"configureFailPoint": "failCommand", "mode": {"times": 1}, "data": data})
        try:
            yield
        finally:
            repo.client.admin.command({"configureFailPoint": "failCommand", "mode": "off"})
        return
    assert isinstance(repo, SQLiteRepository)
    with contextlib.closing(sqlite3.connect(repo.path, isolation_level=None)) as db:
        db.execute(
            f"CREATE TRIGGER injected BEFORE {command.upper()} ON records BEGIN SELECT RAISE(ABORT, 'injected'); END"
        )
    try:
        yield
    finally:
        with contextlib.closing(sqlite3.connect(repo.path, isolation_level=None)) as db:
            db.execute("DROP TRIGGER injected")


def test_a_write_that_fails_after_its_sequence_claim_leaves_no_claim_behind(repo: Repository) -> None:
    # Claim and write are one atomic step: a claimed 5 without its record would refuse the 4 that is the latest held.
    with _record_writes_fail(repo, "insert"), pytest.raises(StoreError):
        repo.put([_entry(repo, "Lost", 5)])
    assert repo.get(DOI) is None
    assert repo.put([_entry(repo, "Older but the only one", 4)])[0].outcome == "created"
    assert repo.put([_entry(repo, "Delayed", 3)])[0].outcome == "stale"


def test_a_withdrawal_that_fails_after_its_sequence_claim_leaves_no_claim_behind(repo: Repository) -> None:
    assert repo.put([_entry(repo, "One", 5)])[0].outcome == "created"
    with _record_writes_fail(repo, "update"), pytest.raises(StoreError):
        repo.withdraw(DOI, "retracted", sequence=7)
    assert not repo.get(DOI).deleted
    assert repo.put([_entry(repo, "Amended", 6)])[0].outcome == "updated"
