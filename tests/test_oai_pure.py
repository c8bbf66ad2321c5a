"""The protocol code without a web server: arguments in, bytes out, over a bare repository."""

from __future__ import annotations

import pytest
from conftest import NS, v4_document
from lxml import etree

from catalogue_core.record_writer import RecordWriter
from catalogue_core.store import Repository
from oai_server.oai.errors import BadResumptionToken
from oai_server.oai.provider import Provider, ProviderConfig
from oai_server.oai.response import respond
from oai_server.oai.resumption_token import ListState, TokenCodec

CONFIG = ProviderConfig("https://data.example.org/oai", "Example", "data.example.org", "oai@example.org", 2)


def _state() -> ListState:
    state = ListState("ListRecords", "oai_dc", None, "2024-05-01T00:00:00Z", "year:2021", "2024-05-01T00:00:00Z", 7)
    return state.advance(2, ("2024-04-30T10:00:00Z", "10.5555/b"))


def test_tokens_round_trip_deterministically() -> None:
    codec = TokenCodec("a-secret-of-enough-length")
    state = _state()
    token = codec.encode(state)
    assert codec.encode(state) == token
    assert codec.decode(token, "ListRecords", "2024-05-02T00:00:00Z") == state


@pytest.mark.parametrize(
    ("verb", "now"),
    [("ListIdentifiers", "2024-05-02T00:00:00Z"), ("ListRecords", "2024-05-08T00:00:01Z")],
    ids=["other-verb", "expired"],
)
def test_tokens_are_bound_to_verb_and_lifetime(verb: str, now: str) -> None:
    codec = TokenCodec("a-secret-of-enough-length")
    with pytest.raises(BadResumptionToken):
        codec.decode(codec.encode(_state()), verb, now)


def test_respond_needs_only_a_repository(repo: Repository, xsd: etree.XMLSchema) -> None:
    publisher = RecordWriter(repo)
    for i in range(3):
        publisher.publish(v4_document(f"10.5555/PURE-{i}"))
    provider = Provider(lambda: repo, CONFIG, TokenCodec("a-secret-of-enough-length"))
    pairs = [("verb", "ListIdentifiers"), ("metadataPrefix", "oai_dc")]
    identifiers = []
    while True:
        doc = etree.fromstring(respond(provider, pairs))
        xsd.assertValid(doc)
        identifiers += doc.xpath("//oai:identifier/text()", namespaces=NS)
        token = doc.xpath("string(//oai:resumptionToken)", namespaces=NS)
        if not token:
            break
        pairs = [("verb", "ListIdentifiers"), ("resumptionToken", token)]
    assert identifiers == [f"oai:data.example.org:10.5555/pure-{i}" for i in range(3)]
