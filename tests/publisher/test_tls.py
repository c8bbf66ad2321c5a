"""A DMZ behind a certificate the intranet does not trust: a clear error, not retried as an outage."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import TOKEN, v4_document
from download_helpers import self_signed
from flask import Flask
from werkzeug.serving import make_server

from oai_server.cli import main

from .conftest import held

DOI = "10.99999/tls-0001"


class TLSServer:
    """The DMZ app over HTTPS on a loopback port, with a self-signed certificate made by openssl."""

    def __init__(self, app: Flask, folder: Path) -> None:
        self.cert, key = self_signed(folder)
        self.requests = 0

        def counted(environ: Any, start: Any) -> Any:
            self.requests += 1
            return app.wsgi_app(environ, start)

        self.server = make_server("127.0.0.1", 0, counted, threaded=True, ssl_context=(str(self.cert), str(key)))
        self.url = f"https://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture
def tls_dmz(app: Flask, tmp_path: Path) -> Iterator[TLSServer]:
    server = TLSServer(app, tmp_path)
    yield server
    server.stop()


def push(tmp_path: Path, server: TLSServer, *args: str, **env: str) -> Any:
    settings = {
        "DMZPUB_DATA_DIR": str(tmp_path / "intranet"),
        "DMZPUB_PUSH_URL": server.url,
        "DMZPUB_PUSH_TOKEN": TOKEN,
        "DMZPUB_PUSH_BACKOFF": "0.02",
        # Were the failure taken for an outage, the command would retry for this long.
        "DMZPUB_PUSH_GIVE_UP": "600",
        **env,
    }
    return CliRunner().invoke(main, list(args), obj=settings, catch_exceptions=False)


def test_an_untrusted_certificate_is_named_with_the_fix_and_not_retried(
    tls_dmz: TLSServer, tmp_path: Path, dmz_store: Any
) -> None:
    document = tmp_path / "a.json"
    document.write_text(json.dumps(v4_document(DOI)), encoding="utf-8")
    result = push(tmp_path, tls_dmz, "push", str(document))
    assert result.exit_code == 1
    assert "TLS certificate is not trusted" in result.output and "certificate verify failed" in result.output
    assert "Fix: set DMZPUB_CA_BUNDLE" in result.output and "not retried" in result.output
    assert tls_dmz.requests == 0  # the handshake failed; no request ever reached the app
    status = push(tmp_path, tls_dmz, "outbox", "status")
    assert status.exit_code == 1 and "pending=1" in status.output  # kept for later, not lost

    flushed = push(tmp_path, tls_dmz, "outbox", "flush", DMZPUB_CA_BUNDLE=str(tls_dmz.cert))
    assert flushed.exit_code == 0, flushed.output
    assert "1 created" in flushed.output and held(dmz_store, DOI) is not None


def test_a_missing_ca_bundle_file_is_a_configuration_error(tls_dmz: TLSServer, tmp_path: Path) -> None:
    result = push(tmp_path, tls_dmz, "outbox", "flush", DMZPUB_CA_BUNDLE=str(tmp_path / "nope.pem"))
    assert result.exit_code == 78 and "DMZPUB_CA_BUNDLE" in result.output and "PEM file" in result.output
