"""A real harvester (oaipmh-scythe) harvests over HTTP, GET and POST, on both stores."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import oai_support
import pytest
from conftest import NS, Pusher
from flask import Flask
from oai_support import Clock, corpus, oai_id, push_all
from oaipmh_scythe import Scythe
from oaipmh_scythe.config import HTTPConfig
from oaipmh_scythe.iterator import OAIResponseIterator
from werkzeug.serving import make_server

from oai_server import create_app
from oai_server.store import of as store_of

clock = oai_support.clock
FORMATS = ["oai_dc", "oai_datacite", "datacite", "panosc"]


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    """Return an app with pages of five, so harvests follow resumption tokens."""
    app = create_app({**app_config, "DMZPUB_OAI_PAGE_SIZE": 5})
    yield app
    store_of(app).close()


@pytest.fixture
def base_url(app: Flask) -> Iterator[str]:
    """Serve the app over real HTTP on a free loopback port; return its /oai URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/oai"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def _scythe(base_url: str, method: str, **kwargs: Any) -> Scythe:
    return Scythe(base_url, http_config=HTTPConfig(http_method=method, timeout=10), **kwargs)


def _harvest(base_url: str, method: str, **args: Any) -> tuple[dict[str, bool], str]:
    """Return {identifier: deleted} of a whole ListIdentifiers harvest and its first responseDate."""
    headers: dict[str, bool] = {}
    response_date = ""
    with _scythe(base_url, method, iterator=OAIResponseIterator) as scythe:
        for response in scythe.list_identifiers(**args):
            response_date = response_date or response.xml.findtext("oai:responseDate", namespaces=NS)
            for header in response.xml.iterfind(".//oai:header", NS):
                identifier = header.findtext("oai:identifier", namespaces=NS)
                assert identifier not in headers
                headers[identifier] = header.get("status") == "deleted"
    return headers, response_date


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_full_harvest_in_every_format_returns_the_pushed_identifiers(
    base_url: str, pusher: Pusher, clock: Clock, method: str
) -> None:
    keys = push_all(pusher, corpus(17))
    with _scythe(base_url, method) as scythe:
        assert scythe.identify().repositoryName == "dmzpub"
        formats = {f.metadataPrefix for f in scythe.list_metadata_formats()}
        assert formats == set(FORMATS)
        for prefix in FORMATS:
            records = list(scythe.list_records(metadata_prefix=prefix))
            assert sorted(r.header.identifier for r in records) == sorted(oai_id(k) for k in keys)
            assert all(r.metadata for r in records)
        assert {s.setSpec for s in scythe.list_sets()} >= {"openaire_data", "year:2020", "type:software"}
        record = scythe.get_record(identifier=oai_id(keys[3]), metadata_prefix="oai_dc")
        assert record.metadata["title"] == ["Record 3"]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_incremental_harvests_return_exactly_the_changes(
    base_url: str, pusher: Pusher, clock: Clock, method: str
) -> None:
    keys = push_all(pusher, corpus(12))
    pushed_at = clock.stamp
    clock.advance(10)
    everything, previous = _harvest(base_url, method, metadata_prefix="oai_dc")
    assert set(everything) == {oai_id(k) for k in keys} and not any(everything.values())
    clock.advance(100)
    updated = corpus(12)
    for i in (2, 7):
        updated[i]["title"] = f"Record {i}, revised"
    new = corpus(2, prefix="10.5555/NEW-")
    push_all(pusher, [updated[2], updated[7], *new])
    pusher.withdraw(keys[4])
    pusher.put(updated[9])  # unchanged content: keeps its datestamp, is not a change
    changes, _ = _harvest(base_url, method, metadata_prefix="oai_datacite", from_=previous)
    assert changes == {
        oai_id(keys[2]): False,
        oai_id(keys[7]): False,
        oai_id(keys[4]): True,
        oai_id("10.5555/new-000"): False,
        oai_id("10.5555/new-001"): False,
    }
    before, _ = _harvest(base_url, method, metadata_prefix="datacite", until=pushed_at)
    assert set(before) == {oai_id(k) for i, k in enumerate(keys) if i not in (2, 4, 7)}
    year, _ = _harvest(base_url, method, metadata_prefix="oai_dc", from_=previous, set_="year:2020")
    assert set(year) == {oai_id(keys[2]), oai_id(keys[4]), oai_id("10.5555/new-000")}
