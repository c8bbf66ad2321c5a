"""Give a new connection to an idle gunicorn worker first, so concurrent keep-alive clients use every core."""

from __future__ import annotations

import time
from typing import Any

# How long a busy worker leaves a new connection to the others before taking it itself: an idle
# worker wakes within microseconds, or milliseconds on a loaded machine.
HOLD = 0.02


class IdleFirstAccept:
    """Mixin for gunicorn's gthread worker: while it is handling a request, it accepts only after HOLD.

    Every worker polls the same listening socket and the first to wake takes the connection, so the
    publisher's two keep-alive connections often landed on one worker: one core worked for both (GIL)
    while the other idled (bench/push.py, "workers' CPU 100/0 %"). A kept-alive connection stays on the
    worker that accepted it, so the choice is made once, at accept. When every worker is busy, the
    connection waits HOLD longer.
    """

    _in_flight = 0  # requests handed to this worker's threads and not finished (main thread only)
    _hold_ends: float | None = None  # when this worker takes the connection it left to the others

    def enqueue_req(self, conn: Any) -> None:
        self._in_flight += 1
        super().enqueue_req(conn)  # type: ignore[misc]

    def finish_request(self, conn: Any, fs: Any) -> None:
        self._in_flight -= 1
        super().finish_request(conn, fs)  # type: ignore[misc]

    def accept(self, listener: Any) -> None:
        now = time.monotonic()
        if self._in_flight and (self._hold_ends is None or now > self._hold_ends + HOLD):
            self._hold_ends = now + HOLD  # a new connection met while busy: the others get the first chance
            super().set_accept_enabled(False)  # type: ignore[misc]
            return
        self._hold_ends = None
        super().accept(listener)  # type: ignore[misc]

    def set_accept_enabled(self, enabled: bool) -> None:
        holding = self._in_flight and self._hold_ends is not None and time.monotonic() < self._hold_ends
        super().set_accept_enabled(enabled and not holding)  # type: ignore[misc]

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        left = self._hold_ends - time.monotonic() if self._hold_ends is not None and self._in_flight else 0.0
        if left > 0:  # wake when the hold ends, not up to a second later
            timeout = min(timeout, left)
        super().wait_for_and_dispatch_events(timeout)  # type: ignore[misc]
