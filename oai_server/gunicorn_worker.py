"""A gunicorn threaded worker whose sockets drop clients that trickle a request or stop reading a reply."""

from __future__ import annotations

import socket
import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

# Without the app's DMZPUB_CLIENT_TIMEOUT (a foreign app), this many seconds.
DEFAULT_LIMIT = 30.0


class DeadlineSocket(socket.socket):
    """A client socket with one deadline for reading a request and a timeout on every send.

    gunicorn reads a request in a thread with a blocking socket and no time limit: eight sockets
    sending a byte now and then held every thread of the server (slowloris).
    """

    limit: float = 30.0
    deadline: float = float("inf")

    @classmethod
    def adopt(cls, sock: socket.socket, limit: float) -> DeadlineSocket:
        """Return the same connection as a DeadlineSocket (the old object gives up its descriptor)."""
        adopted = cls(sock.family, sock.type, sock.proto, fileno=sock.detach())
        adopted.limit = limit
        return adopted

    def arm(self) -> None:
        """Start the clock for the next request."""
        self.deadline = time.monotonic() + self.limit

    def setblocking(self, flag: bool) -> None:
        # gunicorn switches to blocking mode before it reads: make that "blocking, within the deadline".
        if flag:
            self.settimeout(self.limit)
        else:
            super().setblocking(False)

    def _remaining(self) -> None:
        if self.gettimeout() == 0.0:
            return  # non-blocking use by the poller
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the client did not send its request in time")
        self.settimeout(min(left, self.limit))

    def recv(self, size: int, *args: Any) -> bytes:
        self._remaining()
        return super().recv(size, *args)

    def recv_into(self, buffer: Any, *args: Any) -> int:
        self._remaining()
        return super().recv_into(buffer, *args)


class DeadlineThreadWorker(ThreadWorker):
    """gunicorn's gthread worker with DeadlineSocket connections (DMZPUB_CLIENT_TIMEOUT seconds)."""

    def _limit(self) -> float:
        config = getattr(self.wsgi, "config", None) or {}
        return float(config.get("DMZPUB_CLIENT_TIMEOUT", DEFAULT_LIMIT))

    def enqueue_req(self, conn: Any) -> None:
        if not isinstance(conn.sock, DeadlineSocket):
            conn.sock = DeadlineSocket.adopt(conn.sock, self._limit())
        conn.sock.arm()
        super().enqueue_req(conn)
