"""A gunicorn threaded worker whose sockets drop clients that trickle a request or stop reading a reply,
and send a response's header block with its first body bytes."""

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
    held: bytes = b""
    holding = False  # True while the worker writes a response (see sendall)

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

    # gunicorn sends a response's header block and its body in two writes: two packets, and two
    # wake-ups of the client, per request. The header block is held and leaves with the first body
    # bytes, or when the worker has finished the request (`flush`), whichever comes first.
    def sendall(self, data: Any, flags: int = 0) -> None:
        held, self.held = self.held, b""
        if held:
            if len(data) <= MERGE_LIMIT:
                data = held + data
            else:
                super().sendall(held)  # a large body is not copied to save one write
        elif self.holding and _is_header_block(data):
            self.held = bytes(data)
            return
        super().sendall(data, flags)

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        self.flush()
        return super().sendfile(file, offset, count)

    def flush(self) -> None:
        """Send the header block still held (a response without body bytes)."""
        if self.held:
            held, self.held = self.held, b""
            super().sendall(held)


# Bodies up to this size are copied behind the held header block to leave in one write.
MERGE_LIMIT = 64 * 1024


def _is_header_block(data: Any) -> bool:
    """Tell whether `data` is a response's status line and headers, as gunicorn writes them (one bytes object)."""
    return isinstance(data, bytes) and data.startswith(b"HTTP/") and data.endswith(b"\r\n\r\n")


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

    def handle_request(self, req: Any, conn: Any) -> bool:
        sock = conn.sock
        sock.holding = True
        try:
            keepalive: bool = super().handle_request(req, conn)
        except BaseException:
            sock.held = b""  # the response broke off: gunicorn closes the connection
            raise
        finally:
            sock.holding = False
        sock.flush()
        return keepalive
