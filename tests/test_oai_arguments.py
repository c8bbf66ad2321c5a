"""Argument rules per verb, dates and the <request> echo, exactly as OAI-PMH 2.0 specifies."""

from __future__ import annotations

import oai_support
import pytest
from conftest import NS
from oai_support import OAIClient

from oai_server.oai.errors import BadArgument, BadVerb
from oai_server.oai.verbs import parse_arguments

oai = oai_support.oai
BASE = "https://doi.example.org/oai"


@pytest.mark.parametrize(
    "pairs",
    [
        [],
        [("metadataPrefix", "oai_dc")],
        [("verb", "Frobnicate")],
        [("verb", "identify")],
        [("verb", "")],
        [("verb", "Identify"), ("verb", "Identify")],
        [("verb", "Identify"), ("verb", "ListSets")],
    ],
    ids=["missing", "only-args", "unknown", "wrong-case", "empty", "repeated", "two-verbs"],
)
def test_bad_verbs(pairs: list[tuple[str, str]]) -> None:
    with pytest.raises(BadVerb):
        parse_arguments(pairs)


R = "resumptionToken"


@pytest.mark.parametrize(
    "pairs",
    [
        [("verb", "Identify"), ("metadataPrefix", "oai_dc")],
        [("verb", "Identify"), ("identifier", "oai:doi.example.org:10.1/x")],
        [("verb", "ListMetadataFormats"), ("metadataPrefix", "oai_dc")],
        [("verb", "ListMetadataFormats"), ("identifier", "a"), ("identifier", "b")],
        [("verb", "ListSets"), ("set", "year")],
        [("verb", "ListSets"), (R, "x"), ("set", "year")],
        [("verb", "GetRecord"), ("identifier", "oai:doi.example.org:10.1/x")],
        [("verb", "GetRecord"), ("metadataPrefix", "oai_dc")],
        [("verb", "GetRecord"), ("identifier", "i"), ("metadataPrefix", "oai_dc"), ("from", "2024-01-01")],
        [("verb", "ListRecords")],
        [("verb", "ListIdentifiers"), ("from", "2024-01-01")],
        [("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("metadataPrefix", "oai_dc")],
        [("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("foo", "bar")],
        [("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("identifier", "x")],
        [("verb", "ListRecords"), (R, "tok"), ("metadataPrefix", "oai_dc")],
        [("verb", "ListIdentifiers"), (R, "tok"), ("from", "2024-01-01")],
        [("verb", "ListRecords"), (R, "a"), (R, "b")],
        [("verb", "ListRecords"), ("metadataPrefix", "")],
        [("verb", "ListRecords"), ("metadataPrefix", "oai dc")],
        [("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("set", "a::b")],
        [("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("set", "year 2021")],
        [("verb", "GetRecord"), ("identifier", "oai:x:10.1/a b"), ("metadataPrefix", "oai_dc")],
        [("verb", "GetRecord"), ("identifier", "oai:x:10.1/\x01"), ("metadataPrefix", "oai_dc")],
        [("verb", "GetRecord"), ("identifier", 'oai:x:10.1/a"b'), ("metadataPrefix", "oai_dc")],
        [("verb", "GetRecord"), ("identifier", "oai:x:10.1/a%zz"), ("metadataPrefix", "oai_dc")],
        [("verb", "GetRecord"), ("identifier", "oai:x:10.1/a#b#c"), ("metadataPrefix", "oai_dc")],
        [("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("from", "2024-01-01\x00")],
    ],
    ids=[
        "identify-prefix",
        "identify-identifier",
        "formats-prefix",
        "formats-repeated-identifier",
        "sets-set",
        "sets-token-plus-arg",
        "get-no-prefix",
        "get-no-identifier",
        "get-from",
        "list-no-prefix",
        "identifiers-no-prefix",
        "repeated-prefix",
        "unknown-arg",
        "list-identifier",
        "token-plus-prefix",
        "token-plus-from",
        "repeated-token",
        "empty-prefix",
        "prefix-syntax",
        "set-syntax",
        "set-space",
        "identifier-space",
        "identifier-control",
        "identifier-quote",
        "identifier-bad-escape",
        "identifier-two-fragments",
        "from-control",
    ],
)
def test_bad_arguments(pairs: list[tuple[str, str]]) -> None:
    with pytest.raises(BadArgument):
        parse_arguments(pairs)


@pytest.mark.parametrize(
    ("from_", "until"),
    [
        ("2024-05-01", "2024-05-01T10:00:00Z"),
        ("2024-05-01T10:00:00Z", "2024-05-02"),
        ("2024-05-02", "2024-05-01"),
        ("2024-05-01T10:00:01Z", "2024-05-01T10:00:00Z"),
        ("2024-13-01", None),
        ("2024-02-30", None),
        (None, "2024-05-01T25:00:00Z"),
        ("2024-05-01T10:00:00", None),
        ("2024-05-01T10:00:00.5Z", None),
        ("2024-05-01T10:00:00+01:00", None),
        ("2024-05", None),
        ("yesterday", None),
        ("20240501", None),
    ],
)
def test_bad_dates(from_: str | None, until: str | None) -> None:
    pairs = [("verb", "ListRecords"), ("metadataPrefix", "oai_dc")]
    pairs += [(k, v) for k, v in (("from", from_), ("until", until)) if v]
    with pytest.raises(BadArgument):
        parse_arguments(pairs)


@pytest.mark.parametrize(
    ("from_", "until", "bounds"),
    [
        ("2024-05-01", "2024-05-01", ("2024-05-01T00:00:00Z", "2024-05-01T23:59:59Z")),
        ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z", ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z")),
        (None, "2024-02-29", (None, "2024-02-29T23:59:59Z")),
        ("2024-02-29", None, ("2024-02-29T00:00:00Z", None)),
    ],
)
def test_dates_of_both_granularities_are_inclusive(
    from_: str | None, until: str | None, bounds: tuple[str | None, str | None]
) -> None:
    pairs = [("verb", "ListIdentifiers"), ("metadataPrefix", "oai_dc")]
    pairs += [(k, v) for k, v in (("from", from_), ("until", until)) if v]
    request = parse_arguments(pairs)
    assert (request.from_, request.until) == bounds


@pytest.mark.parametrize(
    "pairs",
    [
        [("verb", "Identify")],
        [("verb", "ListMetadataFormats")],
        [("verb", "ListMetadataFormats"), ("identifier", "oai:doi.example.org:10.1/x")],
        [("verb", "ListSets")],
        [("verb", "ListSets"), (R, "x")],
        [("verb", "GetRecord"), ("identifier", "oai:doi.example.org:10.1/x"), ("metadataPrefix", "datacite")],
        [("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("set", "type:dataset:raw"), ("from", "2024-01-01")],
        [("verb", "ListIdentifiers"), (R, "x")],
    ],
)
def test_legal_requests_pass(pairs: list[tuple[str, str]]) -> None:
    request = parse_arguments(pairs)
    assert request.verb == pairs[0][1] and request.args == dict(pairs[1:])


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({"verb": "Nope", "metadataPrefix": "oai_dc"}, "badVerb"),
        ({"metadataPrefix": "oai_dc"}, "badVerb"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "not-a-date"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "bogus": "<&>"}, "badArgument"),
    ],
)
def test_rule_breaking_requests_echo_only_the_base_url(
    oai: OAIClient,
    method: str,
    args: dict[str, str],
    code: str,
) -> None:
    doc = oai(method, pairs=list(args.items()))
    assert doc.xpath("oai:error/@code", namespaces=NS) == [code]
    request = doc.find("oai:request", NS)
    assert request.text == BASE and dict(request.attrib) == {}


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_repeated_verb_is_bad_verb(oai: OAIClient, method: str) -> None:
    assert oai.error(method, pairs=[("verb", "Identify"), ("verb", "Identify")]) == "badVerb"


def test_other_errors_echo_the_arguments_escaped(oai: OAIClient) -> None:
    identifier = "oai:doi.example.org:10.1/a&b'c%C3%A9"
    doc = oai(verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
    assert doc.xpath("oai:error/@code", namespaces=NS) == ["idDoesNotExist"]
    request = doc.find("oai:request", NS)
    assert request.text == BASE
    assert dict(request.attrib) == {"verb": "GetRecord", "identifier": identifier, "metadataPrefix": "oai_dc"}


def test_a_foreign_token_is_echoed_escaped(oai: OAIClient) -> None:
    token = "a<b\"&c'\tend"
    doc = oai(verb="ListRecords", resumptionToken=token)
    assert doc.xpath("oai:error/@code", namespaces=NS) == ["badResumptionToken"]
    assert dict(doc.find("oai:request", NS).attrib) == {"verb": "ListRecords", "resumptionToken": token}


def test_post_must_be_form_encoded(oai: OAIClient) -> None:
    response = oai.client.post("/oai", data=b'{"verb": "Identify"}', content_type="application/json")
    assert response.status_code == 200
    doc = oai.validate(response.data)
    assert doc.xpath("oai:error/@code", namespaces=NS) == ["badArgument"]


def test_post_takes_arguments_from_the_body(oai: OAIClient) -> None:
    doc = oai("POST", verb="Identify")
    assert doc.find("oai:Identify", NS) is not None
    assert doc.find("oai:request", NS).get("verb") == "Identify"
