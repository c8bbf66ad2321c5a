"""Delivering alongside a reader: it waits for entries as they are queued, and stops when the reader fails."""

from __future__ import annotations

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
        box.enqueue(pages(20))  # one round: 10 batches of 2
        feed.more()
        wait_for(lambda: dmz.writes >= 1)
        raise RuntimeError("SciCat went away")
    # The batches under way (one per sender) end; the round's others are never started.
    assert 2 <= sender.report.delivered <= 4
    assert box.counts()["pending"] == 20 - sender.report.delivered
