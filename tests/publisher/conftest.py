"""Fixtures of the publisher tests: a live DMZ on each store, a SciCat stand-in, the intranet CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import TOKEN, scicat_example, v4_document
from flask import Flask
from rabbitmq_server import RabbitMQ

from catalogue_core.doi import doi_key
from catalogue_core.publisher import Outbox
from catalogue_core.store import Repository, StoredRecord
from oai_server.cli import main
from oai_server.store import of as store_of

from .servers import LiveDMZ, SciCatStandIn

SCICAT_TOKEN = "scicat-reader-token"


def v3_document(doi: str, title: str = "A v3 dataset") -> dict[str, Any]:
    """Return a small valid v3 PublishedData document."""
    doc = scicat_example("v3-pending-minimal.json")
    doc.update(doi=doi, title=title, status="registered")
    return doc


def documents(n: int, shape: str = "v4", prefix: str = "10.99999/pub") -> list[dict[str, Any]]:
    """Return n valid documents of one shape with DOIs in sort order."""
    make = v4_document if shape == "v4" else v3_document
    return [make(f"{prefix}-{i:05d}", f"Dataset number {i}") for i in range(n)]


@pytest.fixture
def dmz(app: Flask) -> Iterator[LiveDMZ]:
    """Return the real DMZ app serving on a loopback port (on the parametrised store)."""
    server = LiveDMZ(app)
    server.start()
    yield server
    server.after_write = None
    server.stop()


@pytest.fixture
def dmz_store(app: Flask) -> Repository:
    """Return the DMZ's repository, to check what arrived."""
    return store_of(app).store


class Intranet:
    """The intranet side: `dmzpub` commands with their own settings and outbox."""

    def __init__(self, data_dir: Path, dmz: LiveDMZ) -> None:
        self.env = {
            "DMZPUB_DATA_DIR": str(data_dir),
            "DMZPUB_PUSH_URL": dmz.url,
            "DMZPUB_PUSH_TOKEN": TOKEN,
            "DMZPUB_PUSH_BACKOFF": "0.02",
            "DMZPUB_PUSH_GIVE_UP": "15",
        }
        self.data_dir = data_dir
        self.runner = CliRunner()
        self._outbox: Outbox | None = None

    def invoke(self, *args: str, **env: str) -> Result:
        """Run one command with the intranet settings (plus `env`)."""
        return self.runner.invoke(main, list(args), obj={**self.env, **env}, catch_exceptions=False)

    def outbox(self) -> Outbox:
        """Return the outbox file the commands use (opened once)."""
        if self._outbox is None:
            self._outbox = Outbox(self.data_dir / "outbox.sqlite")
        return self._outbox

    def close(self) -> None:
        """Close the outbox if it was opened."""
        if self._outbox is not None:
            self._outbox.close()

    def write(self, name: str, content: Any) -> str:
        """Write a JSON file to push; return its path."""
        path = self.data_dir.parent / name
        path.write_text(json.dumps(content), encoding="utf-8")
        return str(path)


@pytest.fixture
def intranet(tmp_path: Path, dmz: LiveDMZ) -> Iterator[Intranet]:
    """Return the intranet CLI pointed at the live DMZ."""
    side = Intranet(tmp_path / "intranet", dmz)
    yield side
    side.close()


@pytest.fixture
def scicat() -> Iterator[SciCatStandIn]:
    """Return a running SciCat stand-in (v3 and v4 routes) with no documents yet."""
    server = SciCatStandIn([], token=SCICAT_TOKEN)
    server.start()
    yield server
    server.stop()


def held(store: Repository, doi: str) -> StoredRecord | None:
    """Return what the DMZ store holds for a DOI."""
    return store.get(doi_key(doi), formats=())


def all_keys(store: Repository) -> list[StoredRecord]:
    """Return every summary in the DMZ store."""
    out, after = [], None
    while page := store.list_keys(after, 500):
        out += page
        after = page[-1].key
    return out


@pytest.fixture(scope="session")
def rabbitmq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RabbitMQ]:
    """Return one private RabbitMQ node for the whole session (it takes seconds to start); tests use own queues."""
    node = RabbitMQ(tmp_path_factory.mktemp("rabbitmq"))
    node.start()
    yield node
    node.stop()
