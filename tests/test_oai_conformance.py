"""Clause-by-clause OAI-PMH 2.0 conformance checks found by an audit (section numbers of the specification)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import oai_support
import pytest
from conftest import NS, Pusher, v4_document, write_in_flight
from flask import Flask
from oai_support import Clock, OAIClient, corpus, oai_id, push_all

from catalogue_core.record_writer import RecordWriter
from oai_server import create_app
from oai_server.store import of as store_of

oai = oai_support.oai
clock = oai_support.clock
PAGE = 4
LISTS = ["ListRecords", "ListIdentifiers"]


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    """Return a test app serving pages of four records."""
    app = create_app({**app_config, "DMZPUB_OAI_PAGE_SIZE": PAGE})
    yield app
    store_of(app).close()


def _store_bare(app: Flask, count: int, clock: Clock) -> list[str]:
    """Store records that have no rendered format (as before a new format's reindex); return their keys."""
    bare = oai_support.bare_entries(count)
    clock.advance(1)
    store_of(app).store.put(bare)
    clock.advance(1)
    return [e.key for e in bare]


def _harvest(oai: OAIClient, verb: str, **args: Any) -> list[Any]:
    """Return every page of a list, asserting none of them is an error."""
    pages = list(oai.pages(verb, **args))
    for page in pages:
        assert not page.xpath("oai:error", namespaces=NS), page.xpath("string(oai:error/@code)", namespaces=NS)
    return pages


def _ids(pages: list[Any]) -> list[str]:
    return [i for page in pages for i in page.xpath("//oai:header/oai:identifier/text()", namespaces=NS)]


@pytest.mark.parametrize("verb", LISTS)
def test_lists_hold_only_items_available_in_the_format(
    oai: OAIClient, app: Flask, pusher: Pusher, clock: Clock, verb: str
) -> None:
    # 4.3: ListIdentifiers returns headers "only if the metadata format matching the supplied
    # metadataPrefix is available"; every listed identifier must then be GetRecord-able in it.
    _store_bare(app, 2, clock)
    keys = push_all(pusher, corpus(3))
    listed = _ids(_harvest(oai, verb, metadataPrefix="oai_dc"))
    assert listed == [oai_id(k) for k in keys]
    for identifier in listed:
        doc = oai(verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
        assert not doc.xpath("oai:error", namespaces=NS)


@pytest.mark.parametrize("verb", LISTS)
@pytest.mark.parametrize(
    ("live", "bare", "bare_first"),
    [(PAGE, PAGE + 1, False), (PAGE + 1, 2 * PAGE + 1, False), (2 * PAGE, 1, False), (PAGE + 1, PAGE + 2, True)],
)
def test_skipped_items_never_end_a_list_with_an_error(
    oai: OAIClient, app: Flask, pusher: Pusher, clock: Clock, verb: str, live: int, bare: int, bare_first: bool
) -> None:
    # 3.5: an incomplete list is completed by a response with an empty resumptionToken; a token
    # must never lead to a page that answers noRecordsMatch because the rest was unavailable,
    # and cursor counts the items returned so far, not the unavailable ones passed over.
    if bare_first:
        _store_bare(app, bare, clock)
    keys = push_all(pusher, corpus(live))
    if not bare_first:
        _store_bare(app, bare, clock)
    pages = _harvest(oai, verb, metadataPrefix="oai_dc")
    assert _ids(pages) == [oai_id(k) for k in keys]
    served = 0
    for page in pages:
        token = page.find(f"oai:{verb}/oai:resumptionToken", NS)
        if token is not None:
            assert int(token.get("cursor")) == served
        served += len(page.xpath("//oai:header", namespaces=NS))
    last = pages[-1].find(f"oai:{verb}/oai:resumptionToken", NS)
    assert (last is None) == (len(pages) == 1)
    assert last is None or not last.text


def test_a_post_body_that_is_not_utf8_is_a_bad_argument(oai: OAIClient) -> None:
    # 3.1.1.1: arguments are UTF-8, then URL-encoded; a body with raw non-UTF-8 bytes holds a verb
    # but malformed values, so the answer is badArgument, not "the verb argument is missing".
    body = b"verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:doi.example.org:10.1/\xff\xfe"
    response = oai.client.post("/oai", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    doc = oai.validate(response.data)
    assert doc.xpath("oai:error/@code", namespaces=NS) == ["badArgument"]


def test_the_openaire_set_carries_the_recommended_name(oai: OAIClient, pusher: Pusher) -> None:
    # OpenAIRE Guidelines for Data Archives, "OpenAIRE OAI Set": setSpec openaire_data, setName OpenAIRE.
    push_all(pusher, corpus(1))
    doc = oai(verb="ListSets")
    assert doc.xpath("//oai:set[oai:setSpec='openaire_data']/oai:setName/text()", namespaces=NS) == ["OpenAIRE"]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("suffix", ["a+b", "a%2Fb", "x;y?z=1&w", "ÄÖ-Groß", "a:b/c", "(x)~*'!$,@", "50%", "a%zz"])
def test_listed_identifiers_round_trip_through_every_identifier_verb(
    oai: OAIClient, pusher: Pusher, method: str, suffix: str
) -> None:
    # 2.4 and 4.1/4.4: the identifier a list gives names the same item in GetRecord and ListMetadataFormats.
    push_all(pusher, [v4_document("10.5555/" + suffix)])
    (identifier,) = oai.identifiers(method=method, metadataPrefix="oai_dc")
    doc = oai(method, verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
    assert doc.xpath("string(//oai:header/oai:identifier)", namespaces=NS) == identifier
    formats = oai(method, verb="ListMetadataFormats", identifier=identifier)
    prefixes = formats.xpath("//oai:metadataPrefix/text()", namespaces=NS)
    assert prefixes == ["oai_dc", "oai_datacite", "datacite", "panosc"]


@pytest.mark.parametrize("stored", [0, 1])
def test_earliest_datestamp_bounds_writes_still_in_flight(
    oai: OAIClient, app: Flask, pusher: Pusher, clock: Clock, stored: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 4.2: earliestDatestamp is "the guaranteed lower limit of all datestamps"; a write in flight
    # may still commit with a datestamp from when it started, so Identify must not pass it.
    store = store_of(app).store
    started = clock.stamp
    write = lambda: RecordWriter(store).publish(v4_document("10.1234/in-flight"))  # noqa: E731
    with write_in_flight(store, write, monkeypatch):
        clock.advance(60)
        push_all(pusher, corpus(stored))
        earliest = oai(verb="Identify").findtext("oai:Identify/oai:earliestDatestamp", namespaces=NS)
    assert earliest <= started


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("verb=Identify&", None),
        ("verb=Identify&&", None),
        ("verb=Identify&=x", "badArgument"),
        ("verb=Identify&foo", "badArgument"),
        ("verb=&verb=Identify", "badVerb"),
        ("verb=", "badVerb"),
        ("verb=ListRecords&resumptionToken=", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&until=2000-01-01", "noRecordsMatch"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=1999-01-01&until=2000-01-01", "noRecordsMatch"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=0001-01-01", None),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2999-01-01T00:00:00Z", "noRecordsMatch"),
        ("verb=ListIdentifiers&metadataPrefix=oai_dc&set=openaire_data&until=2999-12-31", None),
        ("verb=ListSets&resumptionToken=abc", "badResumptionToken"),
    ],
)
def test_argument_edge_cases(oai: OAIClient, pusher: Pusher, query: str, code: str | None) -> None:
    # 3.1.1 and 3.6: empty or nameless arguments, bounds outside the datestamps held, one token per verb.
    push_all(pusher, corpus(2))
    response = oai.client.get(f"/oai?{query}")
    assert response.status_code == 200
    doc = oai.validate(response.data)
    assert doc.xpath("oai:error/@code", namespaces=NS) == ([code] if code else [])


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST"])
def test_every_method_answers_text_xml_in_utf8(oai: OAIClient, method: str) -> None:
    # 3.1.2.1 and 3.2: HTTP 200, Content-Type text/xml; charset=UTF-8 (HEAD: the same headers, no body).
    if method == "POST":
        response = oai.client.post("/oai", data={"verb": "Identify"})
    else:
        response = oai.client.open("/oai", method=method, query_string={"verb": "Identify"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].replace(" ", "").lower() == "text/xml;charset=utf-8"
    assert bool(response.data) == (method != "HEAD")
