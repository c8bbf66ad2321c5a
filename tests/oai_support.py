"""OAI-PMH test helpers and fixtures (import the fixtures into a test module to use them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import NS, Pusher, v4_document
from flask.testing import FlaskClient
from lxml import etree
from werkzeug.datastructures import MultiDict

from catalogue_core.store import Entry
from catalogue_core.store import base as store_base

START = 1_714_521_600.0  # 2024-05-01T00:00:00Z


class Clock:
    """Stand-in for the store's clock: time moves only when a test says so."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> str:
        """Move time forward; return the new datestamp."""
        self.now += seconds
        return self.stamp

    @property
    def stamp(self) -> str:
        """Return the current datestamp."""
        return store_base.format_datestamp(self.now)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Freeze the store clock at 2024-05-01T00:00:00Z."""
    fake = Clock()
    monkeypatch.setattr(store_base, "utcnow", fake)
    return fake


def _pairs(args: dict[str, Any] | list[tuple[str, str]]) -> list[tuple[str, str]]:
    if isinstance(args, list):
        return args
    return [(k.rstrip("_"), v) for k, v in args.items() if v is not None]


class OAIClient:
    """Send OAI-PMH requests; check HTTP 200, text/xml, one prolog and schema validity."""

    def __init__(self, client: FlaskClient, xsd: etree.XMLSchema, path: str = "/oai") -> None:
        self.client = client
        self.xsd = xsd
        self.path = path

    def raw(self, args: dict[str, Any] | list[tuple[str, str]], method: str = "GET", **kwargs: Any) -> Any:
        """Return the test response of a request."""
        pairs = _pairs(args)
        if method == "POST":
            return self.client.post(self.path, data=MultiDict(pairs), **kwargs)
        return self.client.get(self.path, query_string=pairs, **kwargs)

    def __call__(self, method: str = "GET", pairs: list[tuple[str, str]] | None = None, **args: Any) -> etree._Element:
        """Return the parsed, validated response document."""
        response = self.raw(pairs if pairs is not None else args, method)
        assert response.status_code == 200
        assert response.mimetype == "text/xml" and response.mimetype_params["charset"] == "utf-8"
        return self.validate(response.data)

    def validate(self, data: bytes) -> etree._Element:
        """Parse a response body and assert it is a valid, well-formed OAI-PMH document."""
        assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>') and data.count(b"<?xml") == 1
        doc = etree.fromstring(data)
        self.xsd.assertValid(doc)
        return doc

    def error(self, method: str = "GET", **args: Any) -> str:
        """Return the error code of a request that must fail."""
        doc = self(method, **args)
        codes = doc.xpath("oai:error/@code", namespaces=NS)
        assert codes, etree.tostring(doc)
        return codes[0]

    def pages(self, verb: str, method: str = "GET", **args: Any) -> Iterator[etree._Element]:
        """Yield every page of a list, following resumption tokens."""
        doc = self(method, verb=verb, **args)
        yield doc
        while token := doc.xpath("string(//oai:resumptionToken)", namespaces=NS):
            doc = self(method, verb=verb, resumptionToken=token)
            yield doc

    def identifiers(self, verb: str = "ListIdentifiers", **args: Any) -> list[str]:
        """Return the identifiers of a whole list, in order."""
        path = "//oai:header/oai:identifier/text()"
        return [i for page in self.pages(verb, **args) for i in page.xpath(path, namespaces=NS)]


@pytest.fixture
def oai(client: FlaskClient, xsd: etree.XMLSchema) -> OAIClient:
    """Return the validating OAI-PMH client."""
    return OAIClient(client, xsd)


def corpus(n: int, prefix: str = "10.5555/REC-", start_year: int = 2020) -> list[dict[str, Any]]:
    """Return n small documents with varied years and types."""
    types = [("Dataset", "raw"), ("Dataset", "derived"), ("Software", "")]
    docs = []
    for i in range(n):
        general, specific = types[i % len(types)]
        docs.append(
            v4_document(
                f"{prefix}{i:03d}",
                title=f"Record {i}",
                publicationYear=start_year + i % 2,
                resourceTypeGeneral=general,
                resourceType=specific,
            )
        )
    return docs


def push_all(pusher: Pusher, documents: list[dict[str, Any]]) -> list[str]:
    """Push documents one by one; return their keys."""
    for doc in documents:
        response = pusher.put(doc)
        assert response.status_code in (200, 201), response.get_json()
    return [doc["doi"].lower() for doc in documents]


REPO_ID = "doi.example.org"


def oai_id(key: str) -> str:
    """Return the OAI identifier of a key in the test app (repository id from the base URL)."""
    return f"oai:{REPO_ID}:{key}"


def bare_entries(count: int) -> list[Entry]:
    """Return registered records that have no rendered format (as before a new format's reindex)."""
    return [
        Entry(
            f"10.5555/bare-{i}",
            f"10.5555/BARE-{i}",
            "sha256:0",
            {},
            {"status": "registered"},
            {},
            rendered={},
            sets=("openaire_data",),
            status="registered",
        )
        for i in range(count)
    ]
