"""A bounded pool for generated downloads (ZIPs): a few at a time per process, the rest asked to retry."""

from __future__ import annotations

import threading


class StreamPool:
    """Count the generated streams in progress; refuse one more than `limit`.

    A ZIP holds a gunicorn thread for as long as it is generated; without a bound, 64 ZIP
    requests took every thread and the rest of the site with them.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots = threading.BoundedSemaphore(limit)

    def try_acquire(self) -> bool:
        """Take a slot if one is free, without waiting."""
        return self._slots.acquire(blocking=False)

    def release(self) -> None:
        """Give the slot back (when the response is closed)."""
        self._slots.release()
