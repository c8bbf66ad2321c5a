"""ListRecords and ListIdentifiers: pages, resumption tokens, selective harvests, concurrent pushes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import oai_support
import pytest
from conftest import NS, Pusher
from flask import Flask
from oai_support import Clock, OAIClient, corpus, oai_id, push_all

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


def _ids(doc: Any) -> list[str]:
    return doc.xpath("//oai:header/oai:identifier/text()", namespaces=NS)


def _versions(doc: Any) -> list[tuple[str, str]]:
    headers = doc.xpath("//oai:header", namespaces=NS)
    return [(h.findtext("oai:identifier", namespaces=NS), h.findtext("oai:datestamp", namespaces=NS)) for h in headers]


def _token(doc: Any) -> Any:
    tokens = doc.xpath("//oai:resumptionToken", namespaces=NS)
    return tokens[0] if tokens else None


@pytest.mark.parametrize("verb", LISTS)
def test_pages_carry_cursor_size_and_an_empty_last_token(
    oai: OAIClient, pusher: Pusher, clock: Clock, verb: str
) -> None:
    keys = push_all(pusher, corpus(10))
    pages = list(oai.pages(verb, metadataPrefix="oai_dc"))
    assert [len(_ids(p)) for p in pages] == [4, 4, 2]
    assert [i for p in pages for i in _ids(p)] == [oai_id(k) for k in sorted(keys)]
    tokens = [_token(p) for p in pages]
    assert [t.get("cursor") for t in tokens] == ["0", "4", "8"]
    assert {t.get("completeListSize") for t in tokens} == {"10"}
    assert tokens[0].text and tokens[1].text and not tokens[2].text
    assert tokens[0].get("expirationDate") == "2024-05-08T00:00:00Z"
    if verb == "ListRecords":
        assert len(pages[0].xpath("//oai:record/oai:metadata/oai_dc:dc", namespaces=NS)) == 4


@pytest.mark.parametrize("count", [1, PAGE])
def test_a_list_that_fits_one_page_has_no_token(oai: OAIClient, pusher: Pusher, count: int) -> None:
    push_all(pusher, corpus(count))
    doc = oai(verb="ListRecords", metadataPrefix="datacite")
    assert len(_ids(doc)) == count and _token(doc) is None


def test_page_size_defaults_to_100(app_config: dict[str, Any], xsd: Any, clock: Clock) -> None:
    app = create_app(app_config)
    client = app.test_client()
    response = Pusher(client).bulk(corpus(101))
    assert response.status_code == 200, response.get_json()
    doc = OAIClient(client, xsd)(verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert len(_ids(doc)) == 100 and _token(doc).get("completeListSize") == "101"
    store_of(app).close()


def test_the_same_token_gives_the_same_page(oai: OAIClient, pusher: Pusher, clock: Clock) -> None:
    push_all(pusher, corpus(9))
    token = _token(oai(verb="ListRecords", metadataPrefix="oai_datacite")).text
    clock.advance(3600)
    first = oai.raw({"verb": "ListRecords", "resumptionToken": token})
    second = oai.raw({"verb": "ListRecords", "resumptionToken": token})
    assert first.data == second.data and len(_ids(oai.validate(first.data))) == 4


def _tamper(token: str, at: int) -> str:
    return token[:at] + ("A" if token[at] != "A" else "B") + token[at + 1 :]


def test_tampered_foreign_and_misused_tokens_are_bad(
    oai: OAIClient, pusher: Pusher, app_config: dict[str, Any], xsd: Any
) -> None:
    push_all(pusher, corpus(9))
    token = _token(oai(verb="ListIdentifiers", metadataPrefix="oai_dc")).text
    for bad in (_tamper(token, 3), _tamper(token, len(token) - 3), token[:-1], token + "x", "garbage"):
        assert oai.error(verb="ListIdentifiers", resumptionToken=bad) == "badResumptionToken"
    assert oai.error(verb="ListRecords", resumptionToken=token) == "badResumptionToken"
    other = create_app({**app_config, "DMZPUB_SECRET_KEY": "another-secret-key-0123456789"})
    assert OAIClient(other.test_client(), xsd).error(verb="ListIdentifiers", resumptionToken=token) == (
        "badResumptionToken"
    )
    store_of(other).close()


def test_tokens_stay_valid_a_day_and_then_some(oai: OAIClient, pusher: Pusher, clock: Clock) -> None:
    push_all(pusher, corpus(9))
    token = _token(oai(verb="ListRecords", metadataPrefix="oai_dc")).text
    clock.advance(6 * 86400)
    assert len(_ids(oai(verb="ListRecords", resumptionToken=token))) == 4
    clock.advance(86400 + 1)
    assert oai.error(verb="ListRecords", resumptionToken=token) == "badResumptionToken"


def test_the_secret_key_survives_a_restart(
    oai: OAIClient, pusher: Pusher, app_config: dict[str, Any], xsd: Any
) -> None:
    push_all(pusher, corpus(9))
    token = _token(oai(verb="ListRecords", metadataPrefix="oai_dc")).text
    restarted = create_app({**app_config, "DMZPUB_OAI_PAGE_SIZE": PAGE})
    doc = OAIClient(restarted.test_client(), xsd)(verb="ListRecords", resumptionToken=token)
    assert len(_ids(doc)) == 4
    store_of(restarted).close()


def test_concurrent_pushes_never_shift_pages_and_the_next_harvest_gets_them(
    oai: OAIClient, pusher: Pusher, clock: Clock
) -> None:
    keys = push_all(pusher, corpus(10))
    clock.advance(60)
    first = oai(verb="ListIdentifiers", metadataPrefix="oai_dc")
    watermark = first.findtext("oai:responseDate", namespaces=NS)
    harvested = _ids(first)
    versions = _versions(first)
    # While the harvester pauses: an already-harvested record and a pending one change,
    # one is withdrawn, new ones arrive; all in the same second as the watermark and later.
    changed = corpus(10)
    changed[0]["title"] = "changed while harvesting"
    changed[9]["title"] = "changed too"
    push_all(pusher, [changed[0]])
    clock.advance(5)
    push_all(pusher, [changed[9], *corpus(3, prefix="10.5555/NEW-")])
    pusher.withdraw(keys[5])
    token = _token(first).text
    while token:
        page = oai(verb="ListIdentifiers", resumptionToken=token)
        assert page.findtext("oai:responseDate", namespaces=NS) == watermark
        harvested += _ids(page)
        versions += _versions(page)
        token = _token(page).text
    # A record changed mid-harvest may come again with its new datestamp; no version twice.
    assert len(versions) == len(set(versions))
    assert {i for i in harvested if harvested.count(i) > 1} <= {oai_id(keys[0])}
    unchanged = {oai_id(k) for i, k in enumerate(keys) if i not in (0, 5, 9)}
    assert unchanged <= set(harvested)
    assert not {i for i in harvested if "new-" in i}
    later = oai.identifiers(metadataPrefix="oai_dc", from_=watermark)
    expected = {oai_id(keys[i]) for i in (0, 5, 9)} | {oai_id(f"10.5555/new-{i:03d}") for i in range(3)}
    assert expected <= set(later)
    assert set(harvested) | set(later) == {oai_id(k) for k in keys} | expected


def test_day_bounds_are_inclusive(oai: OAIClient, pusher: Pusher, clock: Clock) -> None:
    docs = corpus(3)
    push_all(pusher, [docs[0]])  # 2024-05-01T00:00:00Z
    clock.advance(86399)
    push_all(pusher, [docs[1]])  # 2024-05-01T23:59:59Z
    clock.advance(1)
    push_all(pusher, [docs[2]])  # 2024-05-02T00:00:00Z
    ident = [oai_id(d["doi"].lower()) for d in docs]
    cases = [
        ({"until": "2024-05-01"}, ident[:2]),
        ({"from": "2024-05-01", "until": "2024-05-01"}, ident[:2]),
        ({"from": "2024-05-02"}, ident[2:]),
        ({"from": "2024-05-01T23:59:59Z", "until": "2024-05-01T23:59:59Z"}, ident[1:2]),
        ({"from": "2024-05-01T00:00:01Z", "until": "2024-05-02T00:00:00Z"}, ident[1:]),
        ({"until": "2024-04-30"}, []),
        ({"from": "2024-05-03"}, []),
    ]
    for args, expected in cases:
        if expected:
            assert oai.identifiers(metadataPrefix="oai_dc", **args) == expected, args
        else:
            assert oai.error(verb="ListIdentifiers", metadataPrefix="oai_dc", **args) == "noRecordsMatch"


@pytest.mark.parametrize(
    ("spec", "indices"),
    [
        ("openaire_data", range(9)),
        ("type", range(9)),
        ("type:dataset", [0, 1, 3, 4, 6, 7]),
        ("type:dataset:raw", [0, 3, 6]),
        ("type:software", [2, 5, 8]),
        ("year:2021", [1, 3, 5, 7]),
    ],
)
def test_sets_are_hierarchical(oai: OAIClient, pusher: Pusher, spec: str, indices: Any) -> None:
    keys = push_all(pusher, corpus(9))
    assert sorted(oai.identifiers("ListRecords", metadataPrefix="oai_dc", set_=spec)) == [
        oai_id(keys[i]) for i in indices
    ]


def test_deleted_records_appear_in_selective_harvests(oai: OAIClient, pusher: Pusher, clock: Clock) -> None:
    keys = push_all(pusher, corpus(6))
    withdrawn_at = clock.advance(30)
    pusher.withdraw(keys[3])  # year 2021, dataset raw
    for verb in LISTS:
        doc = oai(verb=verb, metadataPrefix="oai_dc", set_="year:2021", from_=withdrawn_at)
        (header,) = doc.xpath("//oai:header", namespaces=NS)
        assert header.get("status") == "deleted" and _ids(doc) == [oai_id(keys[3])]
        assert header.findtext("oai:datestamp", namespaces=NS) == withdrawn_at
        assert "year:2021" in header.xpath("oai:setSpec/text()", namespaces=NS)
        assert not doc.xpath("//oai:metadata", namespaces=NS)


def test_list_errors(oai: OAIClient, pusher: Pusher) -> None:
    assert oai.error(verb="ListRecords", metadataPrefix="oai_dc") == "noRecordsMatch"
    push_all(pusher, corpus(2))
    assert oai.error(verb="ListRecords", metadataPrefix="marc21") == "cannotDisseminateFormat"
    assert oai.error(verb="ListIdentifiers", metadataPrefix="marc21") == "cannotDisseminateFormat"
    assert oai.error(verb="ListRecords", metadataPrefix="oai_dc", set_="year:1999") == "noRecordsMatch"
    assert oai.error(verb="ListRecords", metadataPrefix="oai_dc", from_="2999-01-01") == "noRecordsMatch"


def test_records_stored_without_the_format_are_skipped_even_for_whole_pages(
    oai: OAIClient, app: Flask, pusher: Pusher, clock: Clock
) -> None:
    bare = oai_support.bare_entries(PAGE + 1)
    store_of(app).store.put(bare)
    clock.advance(1)
    keys = push_all(pusher, corpus(3))
    assert oai.identifiers("ListRecords", metadataPrefix="oai_dc") == [oai_id(k) for k in keys]
    # 4.3: ListIdentifiers, too, lists only items available in the asked format.
    assert oai.identifiers(metadataPrefix="oai_dc") == [oai_id(k) for k in keys]
