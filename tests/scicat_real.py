"""Helpers for shared/examples/scicat-real: what a real SciCat sends, loaded and replayed."""

from __future__ import annotations

import json
import socket
from typing import Any

from conftest import SHARED

SCICAT_REAL = SHARED / "examples" / "scicat-real"
REGISTERED_DOI = "10.16907/05a50450-767f-421d-9832-342b57c201af"
# The DataCite account of the captured register (doiconfig.local.json) and SciCat's hard-coded pair.
REGISTER_PAIR = "psi-datacite:s3cret"
RESYNC_PAIR = "removed:removed"


def real(name: str) -> Any:
    """Return a fresh copy of one JSON file of scicat-real/."""
    return json.loads((SCICAT_REAL / name).read_text(encoding="utf-8"))


def wire(name: str) -> bytes:
    """Return a captured HTTP request exactly as it was sent."""
    return (SCICAT_REAL / "wire" / name).read_bytes()


def wire_body(name: str) -> Any:
    """Return the JSON body of a captured request."""
    return json.loads(wire(name).split(b"\r\n\r\n", 1)[1])


def replay(port: int, raw: bytes) -> tuple[int, bytes]:
    """Send raw bytes to 127.0.0.1:port, read until the server closes; return status and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body
