"""gunicorn under hostile clients: trickling sockets are dropped, no shared control socket, exposure is warned."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from download_helpers import gunicorn

from oai_server.store import of as store_of


def _trickle(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"GET /healthz HTTP/1.1\r\n")
    return sock


def _dropped(sock: socket.socket) -> bool:
    """Send one more header byte and tell whether the server has closed the connection."""
    try:
        sock.sendall(b"X")
        sock.settimeout(0.2)
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


def test_trickling_sockets_are_dropped_and_the_server_keeps_answering(tmp_path: Path) -> None:
    # 1 worker x 2 threads: before, two sockets sending a byte now and then held the server for ever.
    with gunicorn(tmp_path, DMZPUB_WORKERS="1", DMZPUB_THREADS="2", DMZPUB_CLIENT_TIMEOUT="2") as app:
        port = int(app["port"])
        socks = [_trickle(port) for _ in range(6)]
        try:
            started = time.monotonic()
            for _ in range(8):  # keep trickling for 4 s, past the 2 s budget
                for sock in socks:
                    _dropped(sock)
                time.sleep(0.3)
            answered = requests.get(f"{app['base']}/healthz", timeout=15)
            assert answered.status_code == 200
            assert time.monotonic() - started < 20
            assert all(_dropped(sock) for sock in socks)
        finally:
            for sock in socks:
                sock.close()


def test_two_servers_on_one_host_share_no_control_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = tmp_path / "run"
    run.mkdir()
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with gunicorn(tmp_path / "a") as first, gunicorn(tmp_path / "b") as second:
        for server in (first, second):
            assert requests.get(f"{server['base']}/healthz", timeout=10).status_code == 200
        assert not list(run.glob("*.ctl")) and not list(tmp_path.glob(".gunicorn/*"))


@pytest.mark.parametrize(
    ("bind", "warned"),
    [
        ("0.0.0.0:8080", True),
        ("192.0.2.7:80", True),
        ("[::]:8080", True),
        ("127.0.0.1:8080", False),
        ("[::1]:8080", False),
        ("unix:/run/dmzpub/gunicorn.sock", False),
        ("localhost:8080", False),
    ],
)
def test_check_config_warns_when_gunicorn_would_face_the_network(
    app_config: dict[str, Any], bind: str, warned: bool
) -> None:
    from click.testing import CliRunner

    from oai_server import create_app
    from oai_server.cli import main

    Path(app_config["DMZPUB_DOWNLOAD_DIR"]).mkdir(parents=True, exist_ok=True)  # check-config wants it there
    app = create_app({**app_config, "DMZPUB_BIND": bind})
    try:
        result = CliRunner().invoke(main, ["check-config"], obj=app)
    finally:
        store_of(app).close()
    assert result.exit_code == 0, result.output
    assert ("DMZPUB_BIND" in result.output) is warned, result.output
