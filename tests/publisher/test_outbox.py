"""The outbox file on its own: one entry per DOI in flight, supersession, and it survives a restart."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalogue_core.publisher import Intent, Outbox, OutboxUnwritable


def put(doi: str, version: int) -> Intent:
    """Return a publication entry."""
    return Intent("put", doi.lower(), doi, body=f'{{"doi": "{doi}", "v": {version}}}', content_hash=f"h{version}")


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Outbox]:
    """Return an empty outbox."""
    outbox = Outbox(tmp_path / "outbox.sqlite")
    yield outbox
    outbox.close()


def test_due_gives_only_the_oldest_entry_of_each_doi(box: Outbox) -> None:
    box.enqueue([put("10.1/a", 1), put("10.1/b", 1), put("10.1/a", 2)])
    box.enqueue([Intent("withdraw", "10.1/a", "10.1/A", reason="gone")])
    first = box.due(10)
    assert [(i.key, i.action, i.content_hash) for i in first] == [("10.1/a", "put", "h1"), ("10.1/b", "put", "h1")]
    box.delivered([(i, "created", 201) for i in first])
    assert [(i.key, i.content_hash) for i in box.due(10)] == [("10.1/a", "h2")]
    box.delivered([(box.due(10)[0], "updated", 200)])
    assert [(i.key, i.action) for i in box.due(10)] == [("10.1/a", "withdraw")]


def test_a_newer_entry_supersedes_a_parked_one(box: Outbox) -> None:
    box.enqueue([put("10.1/a", 1)])
    box.park(box.due(1)[0], 422, "title: is required")
    assert box.due(1) == []  # parked entries wait for someone to ask
    assert box.retry() == 1 and box.due(1)[0].content_hash == "h1"
    box.park(box.due(1)[0], 422, "title: is required")
    box.enqueue([put("10.1/a", 2)])
    assert box.counts() == {"pending": 1, "parked": 0, "delivered": 0, "superseded": 1}
    assert box.retry() == 0  # nothing left that could go back in time


def test_delivering_a_newer_entry_supersedes_an_older_one_parked_meanwhile(box: Outbox) -> None:
    box.enqueue([put("10.1/a", 1), put("10.1/b", 1)])
    box.enqueue([put("10.1/a", 2)])
    first = box.due(10)
    box.park(first[0], 422, "title: is required")  # parked after its successor was queued
    box.delivered([(first[1], "created", 201)])
    assert box.counts()["parked"] == 1  # b's delivery leaves a's parked entry alone
    box.delivered([(box.due(10)[0], "updated", 200)])
    assert box.counts() == {"pending": 0, "parked": 0, "delivered": 2, "superseded": 1}
    assert [e.delivered_no for e in box.entries("delivered")] == [1, 2]


def test_entries_and_sent_hashes_survive_a_restart(tmp_path: Path) -> None:
    first = Outbox(tmp_path / "outbox.sqlite")
    first.enqueue([put("10.1/a", 1), Intent("withdraw", "10.1/b", "10.1/b")])
    first.close()
    again = Outbox(tmp_path / "outbox.sqlite")
    assert [i.key for i in again.due(10)] == ["10.1/a", "10.1/b"]
    sent = again.last_sent(["10.1/a", "10.1/b", "10.1/c"])
    assert sent["10.1/a"].content_hash == "h1" and sent["10.1/b"].content_hash is None and "10.1/c" not in sent
    again.close()


def test_delivered_marks_commit_unsynced_and_queueing_stays_synced_to_disk(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.sqlite")
    levels: list[str] = []
    box._db.set_trace_callback(lambda sql: levels.append(sql) if "synchronous" in sql or sql == "COMMIT" else None)
    box.enqueue([put("10.1/a", 1), put("10.1/b", 1)])
    box.delivered([(box.due(10)[0], "created", 201)])
    box.enqueue([put("10.1/c", 1)])
    # A resend after a power cut is harmless (the DMZ answers unchanged); a lost queued entry is not.
    assert levels == ["COMMIT", "PRAGMA synchronous=NORMAL", "COMMIT", "PRAGMA synchronous=FULL", "COMMIT"]
    assert box._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    box.close()
    again = Outbox(tmp_path / "outbox.sqlite")  # the mark was committed
    assert [(i.key, i.state) for i in again.entries()] == [
        ("10.1/a", "delivered"),
        ("10.1/b", "pending"),
        ("10.1/c", "pending"),
    ]
    again.close()


def test_due_leaves_out_the_dois_given_as_under_way_and_their_later_entries(box: Outbox) -> None:
    box.enqueue([put("10.1/a", 1), put("10.1/b", 1), put("10.1/a", 2), put("10.1/c", 1)])
    assert [(i.key, i.content_hash) for i in box.due(10, skip={"10.1/a"})] == [("10.1/b", "h1"), ("10.1/c", "h1")]
    assert [i.key for i in box.due(1, skip={"10.1/a", "10.1/b"})] == ["10.1/c"]


def test_enqueue_returns_the_seqs_its_entries_are_stored_under(box: Outbox) -> None:
    first = box.enqueue([put("10.1/a", 1), put("10.1/b", 1)])
    box.delivered([(box.due(1)[0], "created", 201)])
    second = box.enqueue([put("10.1/c", 1), Intent("withdraw", "10.1/a", "10.1/a", reason="gone"), put("10.1/d", 1)])
    assert first + second == [e.seq for e in box.entries()]
    assert box.enqueue([]) == []


def test_an_entry_of_an_unknown_action_is_refused_and_nothing_of_its_batch_is_queued(box: Outbox) -> None:
    with pytest.raises(OutboxUnwritable, match="action IN"):
        box.enqueue([put("10.1/a", 1), Intent("publish", "10.1/b", "10.1/b")])
    assert box.counts()["pending"] == 0 and box.last_sent(["10.1/a", "10.1/b"]) == {}


def test_the_state_check_still_guards_the_outbox_after_queueing_and_marking_delivered(box: Outbox) -> None:
    box.enqueue([put("10.1/a", 1), put("10.1/b", 1)])
    box.delivered([(box.due(1)[0], "created", 201)])
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        box._db.execute("UPDATE outbox SET state = 'lost' WHERE key = '10.1/b'")
    assert [e.state for e in box.entries()] == ["delivered", "pending"]


def test_due_gives_the_same_items_as_the_entries_listing(box: Outbox) -> None:
    box.enqueue([put("10.1/a", 1), Intent("withdraw", "10.1/b", "10.1/B", reason="gone")])
    due = box.due(10)
    assert due == box.entries() and [hash(i) for i in due] == [hash(i) for i in box.entries()]
    assert due[1].reason == "gone" and due[0].sequence is not None and due[0].sequence + 1 == due[1].sequence
    with pytest.raises(AttributeError):
        due[0].state = "delivered"  # type: ignore[misc]  # still frozen
