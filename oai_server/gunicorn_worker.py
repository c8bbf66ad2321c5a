"""A gunicorn threaded worker whose sockets drop clients that trickle a request or stop reading a reply,
send a response's header block with its first body bytes, and whose threads answer a keep-alive client's
next request themselves when it comes at once."""

from __future__ import annotations

import gc
import select
import socket
import time
from collections.abc import Callable
from typing import Any, TypeVar

from gunicorn import util
from gunicorn.http import wsgi
from gunicorn.http.message import TOKEN_RE
from gunicorn.workers.gthread import ThreadWorker

from .gunicorn_balance import IdleFirstAccept

_T = TypeVar("_T")

# Without the app's DMZPUB_CLIENT_TIMEOUT (a foreign app), this many seconds.
DEFAULT_LIMIT = 30.0
# How long a thread waits for a keep-alive client's next request before handing the connection back to the
# worker's event loop (DeadlineThreadWorker.handle); only while no other request waits for a thread.
LINGER = 0.003
# The collector's thresholds in a worker: young collections every 10,000 net allocations, not 700. A bulk
# push holds its records' objects at once, so at 700 the collector ran several times a record and walked
# the app's long-lived objects in its older generations: ~26-43 us of a record's CPU, ~17 us with these.
GC_THRESHOLD = (10_000, 10, 10)


class DeadlineSocket(socket.socket):
    """A client socket with one deadline for reading a request and a timeout on every send.

    gunicorn reads a request in a thread with a blocking socket and no time limit: eight sockets
    sending a byte now and then held every thread of the server (slowloris).

    The descriptor stays non-blocking for good and the timeouts gunicorn sets are kept here, not in
    the kernel: a socket timeout costs a system call each time it is set (gunicorn sets it three or
    four times per request) and a poll() before every read and write, each releasing the GIL to the
    worker's other threads. Here a read or write is tried at once and waits (poll) only when the
    kernel has nothing to give or take (bench/stack.py).
    """

    limit: float = 30.0
    deadline: float = float("inf")
    held: bytes = b""
    holding = False  # True while the worker writes a response (see sendall)
    wanted: float | None = 0.0  # the timeout gunicorn last set (settimeout, setblocking): 0.0 non-blocking

    @classmethod
    def adopt(cls, sock: socket.socket, limit: float) -> DeadlineSocket:
        """Return the same connection as a DeadlineSocket (the old object gives up its descriptor)."""
        adopted = cls(sock.family, sock.type, sock.proto, fileno=sock.detach())
        super(DeadlineSocket, adopted).settimeout(0.0)  # the descriptor's one mode from now on
        adopted.limit = limit
        return adopted

    def arm(self) -> None:
        """Start the clock for the next request."""
        self.deadline = time.monotonic() + self.limit

    def settimeout(self, value: float | None) -> None:
        self.wanted = value

    def gettimeout(self) -> float | None:
        return self.wanted

    def setblocking(self, flag: bool) -> None:
        # gunicorn switches to blocking mode before it reads: make that "blocking, within the deadline".
        self.wanted = self.limit if flag else 0.0

    def _read_wait(self) -> float:
        """Return the seconds a read may wait: the request's deadline, at most the timeout set; 0 never waits."""
        if self.wanted == 0.0:
            return 0.0  # non-blocking use by the poller
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the client did not send its request in time")
        return min(left, self.limit, self.wanted or self.limit)

    def _wait(self, events: int, seconds: float, what: str) -> None:
        """Wait until the descriptor is ready for `events`; raise TimeoutError after `seconds`."""
        poller = select.poll()
        poller.register(self.fileno(), events)
        if not poller.poll(seconds * 1000):
            raise TimeoutError(f"timed out waiting for the client to {what}")

    def _reading(self, read: Callable[..., _T], *args: Any) -> _T:
        """Call `read` (a socket read), waiting for data up to the timeout as a blocking socket would."""
        wait = self._read_wait()
        while True:
            try:
                return read(*args)
            except BlockingIOError:
                if not wait:
                    raise
            self._wait(select.POLLIN, wait, "send")
            wait = self._read_wait()

    def recv(self, size: int, *args: Any) -> bytes:
        return self._reading(super().recv, size, *args)

    def recv_into(self, buffer: Any, *args: Any) -> int:
        return self._reading(super().recv_into, buffer, *args)

    def send(self, data: Any, flags: int = 0) -> int:
        """Send what the kernel takes now, waiting for room up to the timeout (as a blocking socket would)."""
        deadline = time.monotonic() + (self.wanted or self.limit)
        while True:
            try:
                return super().send(data, flags)
            except BlockingIOError:
                left = deadline - time.monotonic()
                if self.wanted == 0.0 or left <= 0:
                    raise
            self._wait(select.POLLOUT, left, "read")

    def _send_all(self, *parts: Any, flags: int = 0) -> None:
        """socket.sendall's contract for `parts` in order: every byte sent within one timeout, or TimeoutError.

        Several parts go in one sendmsg (a gather write): nothing is copied to join them.
        """
        views = [view for view in (memoryview(part).cast("B") for part in parts) if view]
        deadline = time.monotonic() + (self.wanted or self.limit)
        while views:
            try:
                sent = super().sendmsg(views, (), flags) if len(views) > 1 else super().send(views[0], flags)
            except BlockingIOError:
                left = deadline - time.monotonic()
                if self.wanted == 0.0:
                    raise
                if left <= 0:
                    raise TimeoutError("the client did not read the reply in time") from None
                self._wait(select.POLLOUT, left, "read")
                continue
            while sent and sent >= len(views[0]):
                sent -= len(views.pop(0))
            if sent:
                views[0] = views[0][sent:]

    # gunicorn sends a response's header block and its body in two writes: two packets, and two
    # wake-ups of the client, per request. The header block is held and leaves with the first body
    # bytes in one write, or when the worker has finished the request (`flush`), whichever comes first.
    def sendall(self, data: Any, flags: int = 0) -> None:
        held, self.held = self.held, b""
        if not held and self.holding and _is_header_block(data):
            self.held = bytes(data)
            return
        self._send_all(held, data, flags=flags)

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        self.flush()
        return super().sendfile(file, offset, count)

    def readable(self, seconds: float) -> bool:
        """Tell whether the client sends something (or closes) within `seconds`."""
        poller = select.poll()
        poller.register(self.fileno(), select.POLLIN)
        return bool(poller.poll(seconds * 1000))

    def flush(self) -> None:
        """Send the header block still held (a response without body bytes)."""
        if self.held:
            held, self.held = self.held, b""
            self._send_all(held)


def _is_header_block(data: Any) -> bool:
    """Tell whether `data` is a response's status line and headers, as gunicorn writes them (one bytes object)."""
    return isinstance(data, bytes) and data.startswith(b"HTTP/") and data.endswith(b"\r\n\r\n")


_formatdate = util.http_date  # gunicorn's own, formatting the Date header from scratch on each response


class _SecondDate:
    """gunicorn's util.http_date, formatted once per second: the header names whole seconds, and
    email.utils.formatdate cost ~3 % of a trivial request's worker CPU (py-spy)."""

    def __init__(self) -> None:
        self.last: tuple[int, str] = (-1, "")  # (a second, its Date value): one tuple, swapped whole

    def __call__(self, timestamp: float | None = None) -> str:
        if timestamp is not None:
            return str(_formatdate(timestamp))
        second = int(time.time())  # formatdate reads whole seconds too (gmtime)
        last, text = self.last
        if last != second:
            text = str(_formatdate(second))
            self.last = (second, text)
        return text


_NAMES: dict[str, str] = {}  # header names that passed gunicorn's checks and are not hop-by-hop -> lower-cased
_NAMES_KEPT = 1024  # names remembered at most (an app names few)


def _plain_name(name: Any) -> str | None:
    """Return a header name lower-cased when gunicorn takes it as is (a token, not hop-by-hop); else None."""
    if type(name) is not str:
        return None
    lowered = _NAMES.get(name)
    if lowered is None and TOKEN_RE.fullmatch(name) and not util.is_hoppish(name) and len(_NAMES) < _NAMES_KEPT:
        lowered = _NAMES[name] = name.lower()
    return lowered


_PRINTABLE = bytes(range(0x20, 0x7F))  # ASCII's printable characters: a part of what gunicorn allows in a value


def _printable_ascii(value: Any) -> bool:
    """Tell whether a header value is a str of printable ASCII characters only."""
    # Deleting the printable bytes leaves nothing: a C loop, ~4x faster than str.isprintable on a Link header.
    return type(value) is str and value.isascii() and not value.encode().translate(None, _PRINTABLE)


class _Response(wsgi.Response):
    """gunicorn's response, its header checks' verdict on each header name remembered.

    gunicorn checks every header's name and value with a regular expression on each response: 20-40 us
    of a record page's 11 headers, a fifth of them on its 2.8 kB Link header (py-spy). Headers whose
    names passed before and whose values are printable ASCII (which that expression allows) are taken
    here as gunicorn would take them; any other list goes through gunicorn's own checks, errors and all.
    """

    def process_headers(self, headers: Any) -> None:
        kept, length = [], None
        for name, value in headers:
            lowered = _plain_name(name)
            if lowered is None or not _printable_ascii(value):
                return super().process_headers(headers)
            value = value.strip(" \t")
            if lowered == "content-length":
                length = int(value)  # gunicorn's own conversion, and its ValueError
            kept.append((name, value))
        self.headers.extend(kept)
        if length is not None:
            self.response_length = length
        return None


def settle_heap() -> None:
    """Put what loading the app made (modules, the app, its settings) out of the collector's walks, for good,
    and collect the young generation less often (GC_THRESHOLD)."""
    gc.collect()
    gc.freeze()  # objects that live as long as the worker: no collection needs to walk them again
    gc.set_threshold(*GC_THRESHOLD)


class DeadlineThreadWorker(IdleFirstAccept, ThreadWorker):
    """gunicorn's gthread worker with DeadlineSocket connections (DMZPUB_CLIENT_TIMEOUT seconds), idle workers
    accepting first."""

    heartbeat = float("-inf")  # when notify() last told the arbiter this worker lives

    def init_process(self) -> None:
        util.http_date = _SecondDate()  # in this worker process only (after the fork): see _SecondDate
        wsgi.Response = _Response  # likewise (wsgi.create looks it up per request)
        super().init_process()

    def load_wsgi(self) -> None:
        super().load_wsgi()
        settle_heap()

    def notify(self) -> None:
        """Tell the arbiter this worker lives, at most once a second.

        gunicorn's loop calls this on every turn, about once per request, and each is a utime()
        system call; the arbiter only kills a worker silent for its whole timeout (60 s).
        """
        now = time.monotonic()
        if now - self.heartbeat >= 1.0:
            self.heartbeat = now
            super().notify()

    def _limit(self) -> float:
        config = getattr(self.wsgi, "config", None) or {}
        return float(config.get("DMZPUB_CLIENT_TIMEOUT", DEFAULT_LIMIT))

    def enqueue_req(self, conn: Any) -> None:
        if not isinstance(conn.sock, DeadlineSocket):
            conn.sock = DeadlineSocket.adopt(conn.sock, self._limit())
        conn.sock.arm()
        super().enqueue_req(conn)

    def handle(self, conn: Any) -> Any:
        """Answer the connection's request, then its next ones while each comes within LINGER.

        gunicorn hands a kept-alive connection back to the event loop after each request, which waits
        for it and hands it to a thread again: a poller deregistration and registration, a future, a
        wake-up pipe and two thread switches per request, about as much CPU as a hello-world request's
        whole app (bench/stack.py). A client sending its next request at once skips all of that.
        """
        answer = super().handle(conn)
        while answer is True and self._next_comes(conn):
            conn.sock.arm()  # as enqueue_req does for a request that came through the event loop
            answer = super().handle(conn)
        return answer

    def _next_comes(self, conn: Any) -> bool:
        """Tell whether this thread should wait for (or has) the connection's next request."""
        if not self.alive or not self.tpool._work_queue.empty():  # stopping, or others wait for a thread
            return False
        if conn.parser.unreader.buf.getvalue():  # read ahead already (gunicorn's finish_request looks too)
            return True
        return bool(conn.sock.readable(LINGER))

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
