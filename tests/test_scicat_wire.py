"""SciCat v3's own register and resync requests, replayed byte for byte, both succeed and merge."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from publisher.servers import LiveDMZ
from scicat_real import REGISTER_PAIR, REGISTERED_DOI, RESYNC_PAIR, replay, wire, wire_body

from catalogue_core.doi import doi_key
from oai_server import create_app
from oai_server.store import of as store_of


@pytest.fixture
def scicat_dmz(app_config: dict[str, Any]) -> Iterator[tuple[LiveDMZ, Flask]]:
    """Return a running DMZ that accepts both of SciCat's pairs from loopback callers only."""
    pairs = f"{REGISTER_PAIR} {RESYNC_PAIR}"
    app = create_app({**app_config, "DMZPUB_SCICAT_BASIC": pairs, "DMZPUB_PUSH_ALLOW_CIDRS": "127.0.0.0/8"})
    server = LiveDMZ(app)
    server.start()
    yield server, app
    server.stop()
    store_of(app).close()


def test_the_captured_register_and_resync_both_succeed_and_the_resync_merges(
    scicat_dmz: tuple[LiveDMZ, Flask],
) -> None:
    server, app = scicat_dmz
    status, body = replay(server.port, wire("v3-register.http"))
    assert status == 201, body
    status, body = replay(server.port, wire("v3-resync.http"))
    assert status == 200, body
    assert json.loads(body)["status"] == "updated"
    stored = store_of(app).store.get(doi_key(REGISTERED_DOI))
    meta = stored.metadata
    assert stored.metadata["titles"][0]["title"] == wire_body("v3-resync.http")["title"]
    assert all(c["affiliation"] == [{"name": "Paul Scherrer Institute"}] for c in meta["creators"])
    assert [(c["familyName"], c["contributorType"]) for c in meta["contributors"]] == [("Mustermann", "Researcher")]
    assert {"date": "2026-12-01", "dateType": "Issued"} in meta["dates"]
    assert meta["sizes"] == ["2104 files", "17179869184 bytes"]
    assert stored.extras["status"] == "registered"
    assert stored.payload["registeredTime"] == "2026-12-01T14:38:23.699Z"


def test_the_captured_resync_of_a_doi_never_published_succeeds_and_publishes_nothing(
    scicat_dmz: tuple[LiveDMZ, Flask],
) -> None:
    server, app = scicat_dmz
    status, body = replay(server.port, wire("v3-resync.http"))
    assert status == 200 and json.loads(body)["status"] == "not_published"
    assert store_of(app).store.get(doi_key(REGISTERED_DOI)) is None
