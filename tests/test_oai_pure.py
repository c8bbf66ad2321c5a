"""The protocol code without a web server: arguments in, bytes out, over a bare repository."""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import quote

import pytest
from conftest import NS, v4_document
from lxml import etree

from catalogue_core.doi import fold_doi
from catalogue_core.record_writer import RecordWriter
from catalogue_core.store import Repository
from oai_server.oai.errors import BadResumptionToken
from oai_server.oai.provider import Provider, ProviderConfig
from oai_server.oai.response import respond
from oai_server.oai.resumption_token import ISSUED_KEPT, ListState, TokenCodec

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


@pytest.mark.parametrize("reader", ["signer", "other-process"])
@pytest.mark.parametrize(
    ("verb", "now"),
    [("ListIdentifiers", "2024-05-02T00:00:00Z"), ("ListRecords", "2024-05-08T00:00:01Z")],
    ids=["other-verb", "expired"],
)
def test_tokens_are_bound_to_verb_and_lifetime(verb: str, now: str, reader: str) -> None:
    codec = TokenCodec("a-secret-of-enough-length")
    token = codec.encode(_state())
    if reader == "other-process":
        codec = TokenCodec("a-secret-of-enough-length")  # knows the token by its signature only
    with pytest.raises(BadResumptionToken):
        codec.decode(token, verb, now)


def test_a_token_reads_the_same_in_the_process_that_signed_it_and_in_any_other() -> None:
    # The signing codec remembers the states of its newest tokens instead of checking them again.
    signer, other = TokenCodec("a-secret-of-enough-length"), TokenCodec("a-secret-of-enough-length")
    first = signer.encode(_state())
    for cursor in range(ISSUED_KEPT):  # enough tokens for the signer to forget the first
        signer.encode(replace(_state(), cursor=cursor + 10))
    last = replace(_state(), cursor=ISSUED_KEPT + 10)
    token = signer.encode(last)
    now = "2024-05-02T00:00:00Z"
    assert signer.decode(token, "ListRecords", now) == other.decode(token, "ListRecords", now) == last
    assert signer.decode(first, "ListRecords", now) == other.decode(first, "ListRecords", now) == _state()
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(BadResumptionToken):
        signer.decode(altered, "ListRecords", now)


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


def _pages(provider: Provider, verb: str) -> list[bytes]:
    pairs = [("verb", verb), ("metadataPrefix", "oai_dc")]
    pages = []
    while True:
        pages.append(respond(provider, pairs))
        token = etree.fromstring(pages[-1]).xpath("string(//oai:resumptionToken)", namespaces=NS)
        if not token:
            return pages
        pairs = [("verb", verb), ("resumptionToken", token)]


@pytest.mark.parametrize("bare", [False, True], ids=["oai-identifiers", "bare-dois"])
def test_list_pages_carry_each_record_byte_for_byte_as_get_record_serves_it(repo: Repository, bare: bool) -> None:
    # List pages are assembled by their own loop over light tuples (for speed); GetRecord builds
    # one record the plain way. Both must write the same bytes for every record and tombstone.
    publisher = RecordWriter(repo)
    dois = ["10.5555/SAME-1", "10.5555/same-a+b&c", "10.5555/same-ÄÖ(x)~*'!$,@", "10.5555/same-50%"]
    for i, doi in enumerate(dois):
        publisher.publish(v4_document(doi, resourceTypeGeneral="Software" if i % 2 else "Dataset"))
    repo.withdraw("10.5555/same-1", "retracted")
    config = replace(CONFIG, bare_identifiers=bare, page_size=3)
    provider = Provider(lambda: repo, config, TokenCodec("a-secret-of-enough-length"))
    records = re.findall(rb"<record>.*?</record>", b"".join(_pages(provider, "ListRecords")), re.S)
    headers = re.findall(rb"<header.*?</header>", b"".join(_pages(provider, "ListIdentifiers")), re.S)
    listed = [etree.fromstring(h).findtext("{*}identifier") for h in headers]
    keys = [provider.key_of(identifier) or "" for identifier in listed]
    assert sorted(keys) == sorted(map(fold_doi, dois))
    expected_records, expected_headers = [], []
    asked = [provider.identifier(key) if not bare else f"oai:data.example.org:{quote(key)}" for key in keys]
    for identifier in asked:  # bare DOIs need not be URIs: GetRecord is asked for their oai: form
        get = respond(provider, [("verb", "GetRecord"), ("identifier", identifier), ("metadataPrefix", "oai_dc")])
        expected_records.append(re.search(rb"<record>.*</record>", get, re.S).group())
        expected_headers.append(re.search(rb"<header.*</header>", get, re.S).group())
    assert b'status="deleted"' in b"".join(expected_records) and b"<setSpec>" in b"".join(expected_records)
    assert records == expected_records
    assert headers == expected_headers


@pytest.mark.parametrize("bare", [False, True], ids=["oai-identifiers", "bare-dois"])
@pytest.mark.parametrize(
    "keys",
    [["10.5555/a", "10.5555/b-1"], ["10.5555/a", "10.5555/a b&c<d>", "10.5555/é"], ["10.5555/x&y"], []],
    ids=["plain", "mixed", "markup", "empty-page"],
)
def test_a_page_of_identifiers_reads_as_each_identifier_alone(keys: list[str], bare: bool) -> None:
    # A list page checks its keys in one go; any key needing escapes must still get them.
    provider = Provider(lambda: None, replace(CONFIG, bare_identifiers=bare), TokenCodec("a-secret-of-enough-length"))  # type: ignore[arg-type,return-value]
    assert provider.identifiers_xml(keys) == [provider.identifier_xml(key) for key in keys]


def _fields(state: ListState) -> list[object]:
    """The token's fields as every release wrote them."""
    s = state
    return [
        1,
        s.verb,
        s.metadata_prefix,
        s.from_,
        s.until,
        s.set_spec,
        s.watermark,
        s.total,
        s.cursor,
        list(s.after or ()),
    ]


def test_tokens_signed_by_earlier_releases_stay_valid_and_ours_read_in_them() -> None:
    # Tokens are no longer compressed (cheaper); harvesters may hold compressed ones, and an older
    # release behind the same secret (a rollback) must read the new ones.
    from itsdangerous import URLSafeSerializer

    from oai_server.oai.resumption_token import SALT

    secret, state, now = "a-secret-of-enough-length", _state(), "2024-05-02T00:00:00Z"
    earlier = URLSafeSerializer(secret, salt=SALT)
    held = earlier.dumps(_fields(state))
    assert held.startswith(".")  # itsdangerous compressed it
    assert TokenCodec(secret).decode(held, "ListRecords", now) == state
    ours = TokenCodec(secret).encode(state)
    assert not ours.startswith(".") and earlier.loads(ours) == _fields(state)
    assert earlier.loads(TokenCodec(secret).encode(replace(state, cursor=9))) == _fields(replace(state, cursor=9))
