"""Shared fixtures: an app on each store, its client and CLI runner, and a pusher helper."""

from __future__ import annotations

import copy
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree
from mongo_server import mongo_base_uri, with_database

from catalogue_core.store import Repository
from catalogue_core.store.mongo import MongoRepository
from catalogue_core.store.sqlite import SQLiteRepository
from oai_server import create_app
from oai_server.store import of as store_of

SHARED = Path(os.environ.get("DMZPUB_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")
SCICAT_EXAMPLES = SHARED / "examples" / "scicat"
TOKEN = "test-push-token-0123456789"
NS = {
    "oai": "http://www.openarchives.org/OAI/2.0/",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcite": "http://datacite.org/schema/kernel-4",
    "oai_datacite": "http://schema.datacite.org/oai/oai-1.1/",
    "oai_id": "http://www.openarchives.org/OAI/2.0/oai-identifier",
    "panosc": "http://scicat.esss.se/panosc",
}


def scicat_example(name: str) -> dict[str, Any]:
    """Return a fresh copy of one of shared/examples/scicat/*.json."""
    return json.loads((SCICAT_EXAMPLES / name).read_text(encoding="utf-8"))


def v4_document(doi: str, title: str = "A dataset", **metadata: Any) -> dict[str, Any]:
    """Return a small valid v4 PublishedData document."""
    doc = copy.deepcopy(scicat_example("v4-public-minimal.json"))
    # Registered: OAI-PMH harvests only records whose DOI is registered (DMZPUB_HARVEST_STATUSES).
    doc.update(doi=doi, title=title, status="registered")
    doc["metadata"].update(metadata)
    return doc


def pytest_sessionstart(session: pytest.Session) -> None:
    """Stop at once, with the fix, when the shared reference material is not beside the project."""
    if not (SHARED / "schemas" / "oai-harvest-all.xsd").is_file():
        pytest.exit(f"shared/ reference material not found at {SHARED}: clone next to it or set DMZPUB_SHARED_DIR", 2)


@pytest.fixture(scope="session")
def xsd() -> etree.XMLSchema:
    """Return the schema that validates whole OAI-PMH responses, metadata included.

    shared/'s oai-harvest-all.xsd, plus the panosc schema the project keeps (catalogue_core).
    """
    from catalogue_core.crosswalks.panosc import PANOSC_NS, PANOSC_XSD_FILE

    schemas = SHARED / "schemas"
    root = etree.parse(str(schemas / "oai-harvest-all.xsd")).getroot()
    for imported in root:
        if isinstance(imported.tag, str) and imported.get("schemaLocation"):
            imported.set("schemaLocation", (schemas / imported.get("schemaLocation")).as_uri())
    panosc = etree.SubElement(root, "{http://www.w3.org/2001/XMLSchema}import", namespace=PANOSC_NS)
    panosc.set("schemaLocation", PANOSC_XSD_FILE.as_uri())
    return etree.XMLSchema(root)


@pytest.fixture(scope="session")
def mongo_base() -> Iterator[str]:
    """Start one MongoDB-compatible wire server for the session (or use DMZPUB_TEST_MONGO_URI)."""
    uri, server = mongo_base_uri()
    yield uri
    if server is not None:
        server.stop()


@pytest.fixture
def mongo_uri(mongo_base: str) -> Iterator[str]:
    """Yield a URI naming a fresh database, so tests never see each other's records; drop it after."""
    from pymongo import MongoClient

    name = "dmzpub_test_" + uuid.uuid4().hex[:12]
    yield with_database(mongo_base, name)
    with MongoClient(mongo_base, serverSelectionTimeoutMS=5000) as client:
        client.drop_database(name)


@pytest.fixture(params=["sqlite", "mongo"])
def store_kind(request: pytest.FixtureRequest) -> str:
    """Run the test once per store."""
    return request.param


@pytest.fixture
def repo(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Repository]:
    """Return an empty repository of the parametrised kind."""
    if store_kind == "mongo":
        store: Repository = MongoRepository(request.getfixturevalue("mongo_uri"))
    else:
        store = SQLiteRepository(tmp_path / "store.sqlite")
    yield store
    store.close()


@pytest.fixture
def app_config(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    """Return the settings of a test app on the parametrised store."""
    config: dict[str, Any] = {
        "TESTING": True,
        "DMZPUB_DATA_DIR": str(tmp_path / "var"),
        "DMZPUB_DOWNLOAD_DIR": str(tmp_path / "downloads"),
        "DMZPUB_PUSH_TOKENS": TOKEN,
        "DMZPUB_SCICAT_BASIC": "scicat:s3cret",
        "DMZPUB_BASE_URL": "https://doi.example.org",
    }
    if store_kind == "mongo":
        config["DMZPUB_MONGO_URI"] = request.getfixturevalue("mongo_uri")
    return config


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    """Return a test app."""
    app = create_app(app_config)
    yield app
    store_of(app).close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a test client of the app."""
    return app.test_client()


class CLI:
    """Invoke `dmzpub` commands against the test app."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.runner = CliRunner()

    def invoke(self, *args: str) -> Any:
        """Run a command; return click's Result."""
        from oai_server.cli import main

        return self.runner.invoke(main, list(args), obj=self.app, catch_exceptions=False)


@pytest.fixture
def runner(app: Flask) -> CLI:
    """Return a CLI runner bound to the app."""
    return CLI(app)


class Pusher:
    """Push, read and withdraw records through the API as the intranet would."""

    def __init__(self, client: FlaskClient, token: str = TOKEN) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def put(self, document: Any, doi: str | None = None) -> Any:
        """PUT a document under its DOI (or the one given)."""
        target = doi or document["doi"]
        return self.client.put(f"/api/v1/published/{quote(target, safe='/')}", json=document, headers=self.headers)

    def get(self, doi: str) -> Any:
        """GET the canonical record."""
        return self.client.get(f"/api/v1/published/{doi}", headers=self.headers)

    def withdraw(self, doi: str, reason: str | None = None) -> Any:
        """DELETE (withdraw) a record."""
        body = {"reason": reason} if reason is not None else None
        return self.client.delete(f"/api/v1/published/{doi}", json=body, headers=self.headers)

    def bulk(self, documents: list[Any]) -> Any:
        """POST many documents."""
        return self.client.post("/api/v1/published", json=documents, headers=self.headers)


@pytest.fixture
def pusher(client: FlaskClient) -> Pusher:
    """Return a pusher using the test token."""
    return Pusher(client)


@contextmanager
def write_in_flight(
    store: Repository, write: Callable[[], Any], monkeypatch: pytest.MonkeyPatch, commits_after: float = 0.5
) -> Iterator[list[Any]]:
    """Run `write` in a thread, held after it took its datestamp until `commits_after` s into the block.

    Yields the list the write's result lands in (after the block). The block's own calls may
    wait for the write (SQLite's safe_now does): the write goes on by itself, never a deadlock.
    """
    stamped, release = threading.Event(), threading.Event()
    stamp = store._stamp

    def held(previous: str | None = None) -> str:
        found = stamp(previous)
        if threading.current_thread() is writer:
            stamped.set()
            release.wait(30)
        return found

    monkeypatch.setattr(store, "_stamp", held)
    results: list[Any] = []
    writer = threading.Thread(target=lambda: results.append(write()))
    writer.start()
    assert stamped.wait(30), "the write never took its datestamp"
    timer = threading.Timer(commits_after, release.set)
    timer.start()
    try:
        yield results
    finally:
        release.set()
        timer.cancel()
        writer.join(30)
