"""Delivering alongside a reader: it waits for entries as they are queued, and stops when the reader fails."""

from __future__ import annotations

import threading
import time

import pytest
from conftest import TOKEN, v4_document

from catalogue_core.publisher import Deliverer, PushClient, RetryPolicy
from catalogue_core.publisher.delivery import alongside
from catalogue_core.publisher.intents import publication

from .conftest import Intranet, all_keys
from .servers import LiveDMZ


def wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def deliverer(intranet: Intranet, dmz: LiveDMZ) -> Deliverer:
    client = PushClient(dmz.url, TOKEN, timeout=30)
    return Deliverer(intranet.outbox(), client, RetryPolicy(backoff=0.02, give_up=15), batch_size=2)


def pages(count: int, start: int = 0) -> list:
    return [publication(v4_document(f"10.99999/along-{start + i:03d}", f"Along {i}"), str(i)) for i in range(count)]


def test_entries_queued_while_it_waits_are_delivered_as_they_come(intranet: Intranet, dmz: LiveDMZ, dmz_store) -> None:
    box = intranet.outbox()
    sender = deliverer(intranet, dmz)
    with alongside(sender) as feed:
        for page in range(3):
            box.enqueue(pages(3, page * 3))
            feed.more()
            wait_for(lambda: box.counts()["pending"] == 0)  # delivered before the next page is queued
    assert sender.report.delivered == 9 and not sender.report.stopped
    assert len(all_keys(dmz_store)) == 9


def test_a_failing_reader_stops_delivery_after_the_batches_under_way_and_leaves_the_rest_queued(
    intranet: Intranet, dmz: LiveDMZ
) -> None:
    box = intranet.outbox()
    dmz.after_write = lambda writes: time.sleep(0.3)  # each batch takes a while
    sender = deliverer(intranet, dmz)
    with pytest.raises(RuntimeError, match="SciCat went away"), alongside(sender) as feed:
        box.enqueue(pages(20))  # 10 batches of 2
        feed.more()
        wait_for(lambda: dmz.writes >= 1)
        raise RuntimeError("SciCat went away")
    # The batches under way (one per sender) end; the others are never started.
    assert 2 <= sender.report.delivered <= 4
    assert box.counts()["pending"] == 20 - sender.report.delivered


def held_first_write(dmz: LiveDMZ) -> threading.Event:
    """Hold the DMZ's first write until the returned event is set (at most 30 s): one slow batch."""
    release = threading.Event()
    dmz.before_write = lambda arrived: release.wait(30) if arrived == 1 else None
    return release


def test_a_slow_batch_holds_up_no_other_sender_past_the_entries_read_at_once(
    intranet: Intranet, dmz: LiveDMZ, dmz_store
) -> None:
    box = intranet.outbox()
    sender = deliverer(intranet, dmz)  # 2 senders, batches of 2: the outbox is read 32 entries at a time
    release = held_first_write(dmz)
    box.enqueue(pages(70))
    with alongside(sender):
        # Every batch but the held one arrives while it is held: no sender waits for the others' batches to end.
        wait_for(lambda: dmz.writes >= 34)
        release.set()
    assert sender.report.delivered == 70 and not sender.report.stopped
    assert len(all_keys(dmz_store)) == 70


def test_a_dois_next_entry_waits_until_its_entry_under_way_is_delivered(intranet: Intranet, dmz: LiveDMZ) -> None:
    box = intranet.outbox()
    client = PushClient(dmz.url, TOKEN, timeout=30)
    sender = Deliverer(box, client, RetryPolicy(backoff=0.02, give_up=15), batch_size=1)
    release = held_first_write(dmz)
    first = publication(v4_document("10.99999/along-x", "First version"), "x1")
    box.enqueue([first])
    with alongside(sender) as feed:
        feed.more()
        wait_for(lambda: dmz.arrived == 1)  # x's first version, held
        box.enqueue(pages(3))
        feed.more()
        wait_for(lambda: dmz.writes >= 3)
        box.enqueue([publication(v4_document("10.99999/along-x", "Second version"), "x2"), *pages(2, 3)])
        feed.more()
        wait_for(lambda: dmz.writes >= 5)
        assert (dmz.writes, dmz.arrived) == (5, 6)  # the others went ahead; x's second version did not leave
        release.set()
    assert sender.report.delivered == 7 and not sender.report.stopped
    assert dmz.effects(first.key) == ["created", "updated"]
