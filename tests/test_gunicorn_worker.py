"""dmzpub's gunicorn worker sends a response's header block together with its body: one write, not two."""

from __future__ import annotations

import gc
import io
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from download_helpers import gunicorn

from oai_server.gunicorn_worker import DeadlineSocket

HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
Pair = tuple[DeadlineSocket, socket.socket, list[bytes]]


@pytest.fixture
def pair(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[DeadlineSocket, socket.socket, list[bytes]]]:
    """A DeadlineSocket writing a response (its writes recorded) and the client's end."""
    server, client = socket.socketpair()
    sock = DeadlineSocket.adopt(server, 5.0)
    writes: list[bytes] = []
    send, sendmsg = socket.socket.send, socket.socket.sendmsg

    def record(self: socket.socket, data: bytes, flags: int = 0) -> int:
        writes.append(bytes(data))
        return send(self, data, flags)

    def gather(self: socket.socket, buffers: list[bytes], *args: object) -> int:
        writes.append(b"".join(buffers))
        return sendmsg(self, buffers, *args)

    monkeypatch.setattr(socket.socket, "send", record)
    monkeypatch.setattr(socket.socket, "sendmsg", gather)
    sock.holding = True
    yield sock, client, writes
    sock.close()
    client.close()


def test_the_header_block_leaves_with_the_first_body_bytes(pair: Pair) -> None:
    sock, client, writes = pair
    sock.sendall(HEAD)
    assert writes == []
    sock.sendall(b"hello")
    sock.sendall(b", more")
    assert writes == [HEAD + b"hello", b", more"]
    assert client.recv(1000) == HEAD + b"hello, more"


def test_a_reply_larger_than_the_socket_buffer_arrives_whole_and_in_order(pair: Pair) -> None:
    sock, client, _ = pair
    sock.setblocking(True)
    body = bytes(range(256)) * (16 << 10)  # 4 MiB: many partial writes, the first one gathered
    received = bytearray()

    def read() -> None:
        while len(received) < len(HEAD) + len(body):
            received.extend(client.recv(1 << 16))

    reader = threading.Thread(target=read)
    reader.start()
    sock.sendall(HEAD)
    sock.sendall(body)
    reader.join(timeout=30)
    assert bytes(received) == HEAD + body


def test_a_response_without_body_bytes_is_sent_when_the_worker_flushes(
    pair: Pair,
) -> None:
    sock, client, writes = pair
    sock.sendall(HEAD)
    sock.flush()
    sock.flush()
    assert writes == [HEAD] and client.recv(1000) == HEAD


def test_a_large_body_leaves_with_the_header_block_in_one_write_too(pair: Pair) -> None:
    sock, client, writes = pair
    sock.sendall(HEAD)
    body = b"x" * 100_000  # a ListRecords page
    sock.sendall(body)
    assert writes == [HEAD + body]
    received = b""
    while len(received) < len(HEAD + body):
        received += client.recv(1 << 20)
    assert received == HEAD + body


def test_writes_outside_a_response_are_never_held(pair: Pair) -> None:
    sock, client, writes = pair
    sock.holding = False  # gunicorn's own error answers are written outside handle_request
    sock.sendall(HEAD)
    assert writes == [HEAD] and client.recv(1000) == HEAD


def test_timeouts_are_kept_off_the_descriptor_and_reads_wait_for_data(pair: Pair) -> None:
    sock, client, _ = pair
    sock.arm()
    sock.setblocking(True)
    sock.settimeout(3.0)
    assert sock.gettimeout() == 3.0 and not os.get_blocking(sock.fileno())  # no system call was made
    threading.Timer(0.2, client.sendall, [b"GET / HTTP/1.1\r\n"]).start()
    assert sock.recv(100) == b"GET / HTTP/1.1\r\n"  # it waited for the bytes
    sock.setblocking(False)
    with pytest.raises(BlockingIOError):
        sock.recv(100)


def test_a_read_past_the_requests_deadline_and_a_reply_nobody_reads_time_out(pair: Pair) -> None:
    sock = pair[0]
    sock.limit = 0.3
    sock.arm()
    sock.setblocking(True)
    with pytest.raises(TimeoutError):
        sock.recv(100)  # the client never sends
    with pytest.raises(TimeoutError):
        sock.sendall(b"x" * (16 << 20))  # the client never reads


def _exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
        return answer


def test_head_answers_and_keep_alive_requests_arrive_whole_through_gunicorn(tmp_path: Path) -> None:
    with gunicorn(tmp_path, DMZPUB_WORKERS="1", DMZPUB_THREADS="2") as app:
        port = int(app["port"])
        head = _exchange(port, b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ") and b"\r\nX-Request-ID: " in head
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            for _ in range(3):
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                answer = b""
                while not answer.endswith(b"}\n"):
                    answer += sock.recv(65536)
                assert answer.startswith(b"HTTP/1.1 200 ") and b'"status":"ok"' in answer


def test_the_date_header_is_gunicorns_formatted_once_a_second() -> None:
    from email.utils import formatdate

    from oai_server.gunicorn_worker import _SecondDate

    date = _SecondDate()
    for _ in range(2000):  # a second's turn may fall between two calls: the plain one lies between
        before, plain, after = date(), formatdate(None, localtime=False, usegmt=True), date()
        assert plain in (before, after)
    for stamp in (0.0, 0.999, 1_764_638_400.5, 1_764_638_400.9999999):
        assert date(stamp) == formatdate(stamp, localtime=False, usegmt=True)


def test_responses_through_the_worker_carry_a_current_date(tmp_path: Path) -> None:
    from email.utils import parsedate_to_datetime

    with gunicorn(tmp_path, DMZPUB_WORKERS="1", DMZPUB_THREADS="2") as app:
        for _ in range(2):
            sent = time.time()
            head = _exchange(int(app["port"]), b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            answered = time.time()
            date = next(line for line in head.split(b"\r\n") if line.startswith(b"Date: "))[6:].decode()
            assert int(sent) <= parsedate_to_datetime(date).timestamp() <= int(answered)
            time.sleep(1.1)  # the next second's answer names the next second


def test_the_worker_tells_the_arbiter_it_lives_at_most_once_a_second() -> None:
    from gunicorn.config import Config
    from gunicorn.workers.workertmp import WorkerTmp

    from oai_server.gunicorn_worker import DeadlineThreadWorker

    worker = object.__new__(DeadlineThreadWorker)  # only the heartbeat: no sockets, no app
    worker.tmp = WorkerTmp(Config())
    try:
        worker.notify()
        first = worker.tmp.last_update()
        for _ in range(200):
            worker.notify()
        assert worker.tmp.last_update() == first  # many turns of the loop, one system call
        time.sleep(1.05)
        worker.notify()
        assert worker.tmp.last_update() > first  # a second later the arbiter hears again
    finally:
        worker.tmp.close()


def _workers(master: int) -> list[int]:
    """Return the process ids of gunicorn's workers (the master's children)."""
    tasks = Path(f"/proc/{master}/task").iterdir()
    return [int(pid) for task in tasks for pid in (task / "children").read_text().split()]


def _owner(master: int, port: int, client: socket.socket) -> int | None:
    """Return the worker holding the server's end of `client`'s connection to `port` (read from /proc)."""
    ends = (f"0100007F:{port:04X}", f"0100007F:{client.getsockname()[1]:04X}")
    inodes = {
        fields[9]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if (fields := line.split())[1:3] == list(ends)
    }
    for worker in _workers(master):
        for fd in Path(f"/proc/{worker}/fd").iterdir():
            try:
                if os.readlink(fd).removeprefix("socket:[").removesuffix("]") in inodes:
                    return worker
            except FileNotFoundError:
                continue  # closed meanwhile
    return None


def _answered(port: int) -> socket.socket:
    """Open a keep-alive connection, have one request answered on it and return it, still open."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = b""
    while not answer.endswith(b"}\n"):
        answer += sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200 ")
    return sock


def _busy(port: int) -> socket.socket:
    """Open a connection whose request never ends (a worker thread waits for the rest of its header block)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    return sock


def test_a_new_connection_goes_to_the_idle_worker_not_to_the_busy_one(tmp_path: Path) -> None:
    with gunicorn(tmp_path, DMZPUB_WORKERS="2", DMZPUB_THREADS="4") as app:
        port, master = int(app["port"]), app["process"].pid  # type: ignore[attr-defined]
        seen: set[int | None] = set()
        deadline = time.monotonic() + 120
        while len(seen - {None}) < 2 and time.monotonic() < deadline:  # both workers up and serving
            with _answered(port) as sock:
                seen.add(_owner(master, port, sock))
            time.sleep(0.05)
        assert len(seen - {None}) == 2
        for _ in range(4):
            with _busy(port) as busy:
                time.sleep(0.2)  # its worker has the request in a thread
                with _answered(port) as other:
                    owners = {_owner(master, port, busy), _owner(master, port, other)}
                    assert None not in owners and len(owners) == 2


def test_a_new_connection_is_still_answered_when_every_worker_is_busy(tmp_path: Path) -> None:
    with gunicorn(tmp_path, DMZPUB_WORKERS="2", DMZPUB_THREADS="4") as app:
        port = int(app["port"])
        _answered(port).close()
        with _busy(port) as first, _busy(port) as second:
            time.sleep(0.2)
            _answered(port).close()  # a busy worker takes it after its hold
            for sock in (first, second):  # both requests were still under way meanwhile
                sock.sendall(b"\r\n")
                assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")


class _Lingering:
    """A DeadlineThreadWorker's handle() loop around a stand-in for gthread's handle (one call per request)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, answers: list[bool], client_sends: list[bytes]) -> None:
        from concurrent.futures import ThreadPoolExecutor
        from types import SimpleNamespace

        from gunicorn.workers.gthread import ThreadWorker

        from oai_server.gunicorn_worker import DeadlineThreadWorker

        server, self.client = socket.socketpair()
        self.worker = object.__new__(DeadlineThreadWorker)  # only the loop: no listener, no app
        self.worker.alive = True
        self.worker.tpool = ThreadPoolExecutor(max_workers=1)
        self.conn = SimpleNamespace(sock=DeadlineSocket.adopt(server, 5.0), parser=None)
        self.conn.parser = SimpleNamespace(unreader=SimpleNamespace(buf=io.BytesIO()))
        self.requests: list[bytes] = []
        self.deadlines: list[float] = []

        def handle(worker: object, conn: SimpleNamespace) -> bool:
            """Read what the client sent (a request), have the client send its next at once, answer."""
            self.deadlines.append(conn.sock.deadline)
            conn.sock.setblocking(False)
            try:
                self.requests.append(conn.sock.recv(65536))
            except BlockingIOError:
                self.requests.append(conn.parser.unreader.buf.getvalue())
                conn.parser.unreader.buf = io.BytesIO()
            if client_sends:
                self.client.sendall(client_sends.pop(0))
            return answers.pop(0)

        monkeypatch.setattr(ThreadWorker, "handle", handle)

    def close(self) -> None:
        self.worker.tpool.shutdown(wait=True)
        self.conn.sock.close()
        self.client.close()


@pytest.fixture
def lingering(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[list[bool], list[bytes]], _Lingering]]:
    made: list[_Lingering] = []

    def make(answers: list[bool], client_sends: list[bytes]) -> _Lingering:
        made.append(_Lingering(monkeypatch, answers, client_sends))
        return made[-1]

    yield make
    for one in made:
        one.close()


def test_a_thread_answers_a_keep_alive_clients_next_requests_when_they_come_at_once(lingering: Any) -> None:
    loop = lingering([True, True, True], [b"second", b"third"])
    loop.client.sendall(b"first")
    loop.conn.sock.arm()  # as the event loop's enqueue_req does
    assert loop.worker.handle(loop.conn) is True  # no fourth request: the connection goes back to the event loop
    assert loop.requests == [b"first", b"second", b"third"]
    assert loop.deadlines[0] < loop.deadlines[1] < loop.deadlines[2]  # each request read within its own deadline


def test_a_closing_answer_or_a_stopping_worker_hands_the_connection_back_at_once(lingering: Any) -> None:
    loop = lingering([False], [b"next"])
    loop.client.sendall(b"first")
    assert loop.worker.handle(loop.conn) is False and loop.requests == [b"first"]
    loop = lingering([True], [b"next"])
    loop.worker.alive = False
    loop.client.sendall(b"first")
    assert loop.worker.handle(loop.conn) is True and loop.requests == [b"first"]


def test_a_thread_hands_the_connection_back_while_other_requests_wait_for_a_thread(lingering: Any) -> None:
    loop = lingering([True, True], [b"next"])
    release = threading.Event()
    loop.worker.tpool.submit(release.wait)  # the pool's one thread is busy ...
    waiting = loop.worker.tpool.submit(lambda: None)  # ... and another request waits for it
    loop.client.sendall(b"first")
    try:
        assert loop.worker.handle(loop.conn) is True and loop.requests == [b"first"]
    finally:
        release.set()
    waiting.result(timeout=30)


def test_a_request_read_ahead_is_answered_without_waiting_for_the_socket(lingering: Any) -> None:
    loop = lingering([True, True], [])
    loop.client.sendall(b"first")
    loop.conn.parser.unreader.buf.write(b"pipelined")  # what a body drain read past its request
    assert loop.worker.handle(loop.conn) is True
    assert loop.requests == [b"first", b"pipelined"]


def test_pipelined_and_kept_alive_requests_are_answered_whole_and_in_order_through_gunicorn(tmp_path: Path) -> None:
    with (
        gunicorn(tmp_path, DMZPUB_WORKERS="1", DMZPUB_THREADS="2") as app,
        socket.create_connection(("127.0.0.1", int(app["port"])), timeout=30) as sock,
    ):
        for count in (1, 3, 1, 2):
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * count)
            answer = b""
            while answer.count(b'"status":"ok"') < count:
                answer += sock.recv(65536)
            assert answer.count(b"HTTP/1.1 200 ") == count
            if count == 1:
                time.sleep(0.05)  # longer than the worker's linger: the event loop has the connection again


def _processed(response_class: Any, headers: list[tuple[Any, Any]]) -> tuple[Any, ...]:
    """Return what a response makes of `headers` (its header list, length, upgrade), or the error it raises."""
    response = object.__new__(response_class)  # only the header checks: no request, no socket
    response.headers, response.response_length, response.upgrade = [], None, False
    try:
        response.process_headers(headers)
    except Exception as exc:  # the very error is what is compared
        return type(exc), str(exc)
    return response.headers, response.response_length, response.upgrade


def test_the_workers_header_checks_take_and_refuse_what_gunicorns_own_do() -> None:
    from gunicorn.http import wsgi

    from oai_server.gunicorn_worker import _Response

    names = ["Content-Type", "Content-Length", "Link", "X-Request-ID", "Connection", "Upgrade", "Server", "Date"]
    names += ["Bad Name", "Bad:Name", "", "Ünï", "X-\x7f", b"Bytes"]  # type: ignore[list-item]
    values = ["text/html", " 12 ", "12", "+5", "5_0", "-1", "x", "", "a\tb", "\tpadded\t", "é", "\x7f", "a\rb"]
    values += ["a\nb", "\x00", "upgrade", "websocket", "keep-alive", '<https://x.example/a>; rel="cite-as"' * 40]
    values += [12, None]  # type: ignore[list-item]
    rng = random.Random(11)
    for _ in range(5000):
        headers = [(rng.choice(names), rng.choice(values)) for _ in range(rng.randrange(0, 6))]
        assert _processed(_Response, headers) == _processed(wsgi.Response, headers), headers


def test_a_worker_puts_the_loaded_app_out_of_the_collectors_walks_and_collects_less_often(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gunicorn.workers.gthread import ThreadWorker

    from oai_server.gunicorn_worker import GC_THRESHOLD, DeadlineThreadWorker

    loaded: list[bool] = []
    monkeypatch.setattr(ThreadWorker, "load_wsgi", lambda self: loaded.append(True))
    threshold = gc.get_threshold()
    gc.unfreeze()
    try:
        DeadlineThreadWorker.load_wsgi(object.__new__(DeadlineThreadWorker))
        assert loaded == [True]  # gunicorn's own loading ran first
        assert gc.get_freeze_count() > 1000 and gc.get_threshold() == GC_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
