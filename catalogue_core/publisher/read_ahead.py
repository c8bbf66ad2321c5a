"""Read the next SciCat pages in a thread while this one is worked on, at most a few pages ahead."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_END = object()
# How long the reader waits for room before looking whether it was told to stop.
_POLL = 0.1


def read_ahead(pages: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Yield what `pages` yields, fetched by a thread that stays at most `depth` pages ahead.

    The reader's errors are raised here, where the page would have been. Leaving early (an error,
    a stop) stops the reader at its next page and waits for it: `pages` is never used by two threads.
    """
    slots: queue.Queue[tuple[object, BaseException | None]] = queue.Queue(depth)
    stop = threading.Event()

    def hand_over(item: object, error: BaseException | None = None) -> bool:
        while not stop.is_set():
            try:
                slots.put((item, error), timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for page in pages:
                if not hand_over(page):
                    return
        except BaseException as exc:  # handed to the consumer, who raises it as its own
            hand_over(_END, exc)
            return
        hand_over(_END)

    reader = threading.Thread(target=read, name="dmzpub-scicat-read", daemon=True)
    reader.start()
    try:
        while True:
            item, error = slots.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item  # type: ignore[misc]  # anything but _END is a page
    finally:
        stop.set()
        reader.join()
