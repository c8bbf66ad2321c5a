"""Reading SciCat pages ahead in a thread: order, how far ahead, errors where they occurred, stopping early."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from catalogue_core.publisher.errors import SciCatUnreadable
from catalogue_core.publisher.read_ahead import read_ahead


class Pages:
    """A source of numbered pages that notes how many it has handed out and from which thread."""

    def __init__(self, count: int, fail_at: int | None = None) -> None:
        self.count, self.fail_at = count, fail_at
        self.produced = 0
        self.threads: set[str] = set()

    def __iter__(self) -> Iterator[int]:
        for n in range(self.count):
            self.threads.add(threading.current_thread().name)
            if n == self.fail_at:
                raise SciCatUnreadable("http://scicat.invalid", "HTTP 500")
            self.produced += 1
            yield n


def test_pages_come_in_order_read_by_another_thread() -> None:
    pages = Pages(50)
    assert list(read_ahead(iter(pages))) == list(range(50))
    assert threading.current_thread().name not in pages.threads


def test_the_reader_stays_at_most_a_few_pages_ahead() -> None:
    pages = Pages(50)
    ahead = []
    for n in read_ahead(iter(pages), depth=2):
        threading.Event().wait(0.01)  # the reader has time to run as far as it may
        ahead.append(pages.produced - n - 1)
    # Two pages wait in the queue and a third is in the reader's hands, never more.
    assert max(ahead) <= 3 and max(ahead) >= 2


def test_an_error_of_the_reader_is_raised_after_the_pages_before_it() -> None:
    got = []
    with pytest.raises(SciCatUnreadable, match="HTTP 500"):
        for n in read_ahead(iter(Pages(10, fail_at=4))):
            got.append(n)
    assert got == [0, 1, 2, 3]


def test_leaving_early_stops_the_reader_before_returning() -> None:
    pages = Pages(1000)
    before = threading.active_count()
    for n in read_ahead(iter(pages), depth=2):
        if n == 3:
            break
    assert threading.active_count() == before  # the reader thread ended: the source is free for others
    assert pages.produced <= 3 + 1 + 3
