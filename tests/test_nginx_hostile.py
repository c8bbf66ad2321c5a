"""Slow clients through the production nginx.conf: readers that stop never hold gunicorn, limits answer 429."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import requests
from download_helpers import gunicorn, make_dataset, nginx, random_bytes
from test_download_nginx import publish_through

from catalogue_core.urls import file_path, zip_path
from download_cache.open_target import open_target
from download_cache.sources import Source
from download_cache.stage import Stager

TOKEN = "nginx-hostile-token"
DOI = "10.5555/slow-readers"
# Larger than every buffer between gunicorn and a client that stops reading (sockets, nginx memory).
FILES = {"big.bin": random_bytes(24_000_000, 5)}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("hostile-stack")
    (tmp / "area").mkdir()
    make_dataset(tmp / "src", FILES)
    Stager(open_target(str(tmp / "area"))).stage(DOI, Source(str(tmp / "src")))
    settings = {
        "DMZPUB_DOWNLOAD_ACCEL": "nginx",
        "DMZPUB_PUSH_TOKENS": TOKEN,
        "DMZPUB_PROXY_COUNT": "1",
        "DMZPUB_WORKERS": "1",
        "DMZPUB_THREADS": "2",
    }
    with gunicorn(tmp, **settings) as app, nginx(tmp / "nginx", app["port"], tmp / "area") as web:
        publish_through(web, DOI, TOKEN)
        yield web


def _stalled(port: int, path: str, **headers: str) -> tuple[ssl.SSLSocket, bytes]:
    """Send a request over TLS, read the first bytes of the answer, then stop reading."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30))
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode())
    return sock, sock.recv(1024)


def _probe(stack: dict[str, Any], path: str = "/healthz") -> int:
    return requests.get(stack["base"] + path, verify=stack["cert"], timeout=10).status_code


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        (zip_path(DOI), {}),
        # A stale If-Range: the app, not nginx, had to send the whole file (and held a thread per reader).
        (file_path(DOI, "big.bin"), {"Range": "bytes=0-", "If-Range": '"0000"'}),
    ],
)
def test_readers_that_stop_reading_do_not_starve_the_app(
    stack: dict[str, Any], path: str, headers: dict[str, str]
) -> None:
    # gunicorn has 2 threads here; 6 readers that stop held all of them for as long as they stayed.
    with ExitStack() as stalled:
        for _ in range(6):
            sock, first = _stalled(stack["port"], path, **headers)
            stalled.callback(sock.close)
            assert first.startswith(b"HTTP/1.1 200"), first[:100]
        time.sleep(1)
        assert [_probe(stack) for _ in range(5)] == [200] * 5


def test_one_client_cannot_hold_more_than_its_connections(stack: dict[str, Any]) -> None:
    statuses = []
    with ExitStack() as stalled:
        for _ in range(40):
            sock, first = _stalled(stack["port"], file_path(DOI, "big.bin"))
            stalled.callback(sock.close)
            statuses.append(first[9:12])
    assert b"429" in statuses and statuses.count(b"200") <= 32


def test_the_port_80_redirect_names_the_configured_server_not_the_host_header(stack: dict[str, Any]) -> None:
    response = requests.get(
        f"http://127.0.0.1:{stack['http_port']}/doi/x", headers={"Host": "evil.example"}, allow_redirects=False
    )
    assert response.status_code == 301
    assert response.headers["Location"] == "https://doi.example.org/doi/x"
