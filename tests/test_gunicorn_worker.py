"""dmzpub's gunicorn worker sends a response's header block together with its body: one write, not two."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from download_helpers import gunicorn

from oai_server.gunicorn_worker import MERGE_LIMIT, DeadlineSocket

HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
Pair = tuple[DeadlineSocket, socket.socket, list[bytes]]


@pytest.fixture
def pair(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[DeadlineSocket, socket.socket, list[bytes]]]:
    """A DeadlineSocket writing a response (its writes recorded) and the client's end."""
    server, client = socket.socketpair()
    sock = DeadlineSocket.adopt(server, 5.0)
    writes: list[bytes] = []
    plain = socket.socket.sendall

    def record(self: socket.socket, data: bytes, flags: int = 0) -> None:
        writes.append(bytes(data))
        plain(self, data, flags)

    monkeypatch.setattr(socket.socket, "sendall", record)
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


def test_a_response_without_body_bytes_is_sent_when_the_worker_flushes(
    pair: Pair,
) -> None:
    sock, client, writes = pair
    sock.sendall(HEAD)
    sock.flush()
    sock.flush()
    assert writes == [HEAD] and client.recv(1000) == HEAD


def test_a_large_body_is_not_copied_behind_the_header_block(pair: Pair) -> None:
    sock, _, writes = pair
    sock.sendall(HEAD)
    body = b"x" * (MERGE_LIMIT + 1)
    sock.sendall(body)
    assert writes == [HEAD, body]


def test_writes_outside_a_response_are_never_held(pair: Pair) -> None:
    sock, client, writes = pair
    sock.holding = False  # gunicorn's own error answers are written outside handle_request
    sock.sendall(HEAD)
    assert writes == [HEAD] and client.recv(1000) == HEAD


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
