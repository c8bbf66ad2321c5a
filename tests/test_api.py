"""The push API: writes, reads, withdrawals, bulk, listing, and clear errors for bad input."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

import pytest
from conftest import TOKEN, Pusher, scicat_example, v4_document

from oai_server.store import of as store_of

FULL = "v4-registered-full.json"
FULL_DOI = "10.17199/ESS-2025-00042"


def assert_problem(response: Any, status: int, *fields: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status and body["title"]
    named = {e["field"] for e in body.get("errors", [])}
    for field in fields:
        assert field in named or field in body.get("detail", ""), body
    return body


def test_put_creates_then_updates_then_keeps(pusher: Pusher) -> None:
    document = scicat_example(FULL)
    created = pusher.put(document)
    assert created.status_code == 201
    body = created.get_json()
    assert body["doi"] == FULL_DOI and body["status"] == "created" and body["datestamp"].endswith("Z")
    assert created.headers["Location"].endswith("/api/v1/published/10.17199/ess-2025-00042")
    again = pusher.put(document)
    assert again.status_code == 200 and again.get_json()["status"] == "unchanged"
    assert again.get_json()["datestamp"] == body["datestamp"]
    document["title"] = "Changed title"
    updated = pusher.put(document)
    assert updated.status_code == 200 and updated.get_json()["status"] == "updated"


@pytest.mark.parametrize(
    "path",
    [FULL_DOI, FULL_DOI.lower(), quote(FULL_DOI, safe=""), "doi:" + FULL_DOI, "https://doi.org/" + FULL_DOI],
)
def test_get_by_any_form_of_the_doi(pusher: Pusher, path: str) -> None:
    pusher.put(scicat_example(FULL))
    response = pusher.get(path)
    assert response.status_code == 200
    record = response.get_json()
    assert record["doi"] == FULL_DOI and record["key"] == FULL_DOI.lower() and not record["deleted"]
    assert record["metadata"]["titles"][0]["title"].startswith("Small-angle")
    assert record["payload"] == scicat_example(FULL)
    assert record["contentHash"].startswith("sha256:")


def test_doi_case_variants_are_one_record(pusher: Pusher, client: Any) -> None:
    assert pusher.put(v4_document("10.1234/MiXeD")).status_code == 201
    assert pusher.put(v4_document("10.1234/mixed", "New")).status_code == 200
    listed = client.get("/api/v1/published", headers=pusher.headers).get_json()["items"]
    assert [i["key"] for i in listed] == ["10.1234/mixed"]


def test_withdraw_keeps_tombstone_with_reason(pusher: Pusher) -> None:
    pusher.put(scicat_example(FULL))
    response = pusher.withdraw(FULL_DOI, reason="superseded by 10.17199/x")
    assert response.status_code == 200
    assert response.get_json()["status"] == "withdrawn" and response.get_json()["deleted"]
    record = pusher.get(FULL_DOI).get_json()
    assert record["deleted"] and record["withdrawalReason"] == "superseded by 10.17199/x"
    assert record["datestamp"] == response.get_json()["datestamp"]
    assert pusher.withdraw(FULL_DOI).get_json()["status"] == "unchanged"


def test_withdraw_without_body_and_unknown(pusher: Pusher, client: Any) -> None:
    pusher.put(scicat_example(FULL))
    plain = client.delete(f"/api/v1/published/{FULL_DOI}", headers=pusher.headers)
    assert plain.status_code == 200
    assert_problem(pusher.withdraw("10.1234/unknown"), 404)
    assert_problem(pusher.get("10.1234/unknown"), 404)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ('{"reason": 5}', 422, "reason"),
        ("[1]", 400, "/"),
        ("{nope", 400, "/"),
    ],
)
def test_bad_withdrawal_bodies(pusher: Pusher, client: Any, body: str, status: int, field: str) -> None:
    pusher.put(scicat_example(FULL))
    response = client.delete(
        f"/api/v1/published/{FULL_DOI}", data=body, content_type="application/json", headers=pusher.headers
    )
    assert_problem(response, status, field)
    assert not pusher.get(FULL_DOI).get_json()["deleted"]


def test_private_is_refused_and_nothing_written(pusher: Pusher) -> None:
    document = scicat_example("v4-private-refused.json")
    body = assert_problem(pusher.put(document), 422, "status")
    assert body["title"] == "private records are not published"
    assert pusher.get(document["doi"]).status_code == 404


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "field"),
    [
        (b"{not json", "application/json", 400, "/"),
        (b"\xff\xfe", "application/json", 400, "/"),
        (b'"a string"', "application/json", 400, "/"),
        (b"[]", "application/json", 400, "/"),
        (b"title=x", "application/x-www-form-urlencoded", 415, "Content-Type"),
        (b'{"doi": "10.1234/x", "numberOfFiles": NaN}', "application/json", 400, "/"),
        (b'{"doi": "10.1234/x", "sizeOfArchive": -Infinity}', "application/json", 400, "/"),
        (b'{"doi": "10.1234/x", "sizeOfArchive": 1' + b"0" * 5000 + b"}", "application/json", 400, "/"),
    ],
)
def test_malformed_bodies(client: Any, raw: bytes, content_type: str, status: int, field: str) -> None:
    response = client.put(
        "/api/v1/published/10.1234/x", data=raw, content_type=content_type, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert_problem(response, status, field)


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"title": None}, ["title"]),
        ({"title": 12}, ["title"]),
        ({"numberOfFiles": "many"}, ["numberOfFiles"]),
        ({"metadata": {"publicationYear": 2020}}, ["metadata.creators", "metadata.publisher.name"]),
        (
            {"metadata": {"creators": [{"name": "A"}], "publisher": "P", "publicationYear": "20x"}},
            ["metadata.publicationYear"],
        ),
        (
            {
                "metadata": {
                    "creators": [{"name": "A"}],
                    "publisher": "P",
                    "publicationYear": 2020,
                    "rightsList": [{"rightsUri": 5}],
                }
            },
            ["metadata.rightsList[0].rightsUri"],
        ),
        ({"doi": "10.1234/other"}, ["doi"]),
    ],
)
def test_invalid_records_name_their_fields(pusher: Pusher, change: dict[str, Any], fields: list[str]) -> None:
    document = {**v4_document("10.1234/x"), **change}
    assert_problem(pusher.put(document, doi="10.1234/x"), 422, *fields)
    assert pusher.get("10.1234/x").status_code == 404


def test_bad_doi_in_url(pusher: Pusher) -> None:
    assert_problem(pusher.put(v4_document("10.1234/x"), doi="not-a-doi"), 400, "doi")


def test_body_over_the_limit(app_config: dict[str, Any]) -> None:
    from oai_server import create_app

    app = create_app({**app_config, "DMZPUB_MAX_PUSH_BYTES": "2048"})
    pusher = Pusher(app.test_client())
    document = v4_document("10.1234/big", "x" * 4000)
    body = assert_problem(pusher.put(document), 413, "DMZPUB_MAX_PUSH_BYTES")
    assert "2048" in body["detail"]
    assert pusher.get("10.1234/big").status_code == 404
    store_of(app).close()


def test_bulk_answers_per_item(pusher: Pusher) -> None:
    documents = [
        scicat_example(FULL),
        scicat_example("v4-private-refused.json"),
        {"doi": "10.1234/broken"},
        "not an object",
        scicat_example("v3-pending-minimal.json"),
    ]
    response = pusher.bulk(documents)
    assert response.status_code == 207
    items = response.get_json()["items"]
    assert [i["status"] for i in items] == ["created", "rejected", "rejected", "rejected", "created"]
    assert [i["httpStatus"] for i in items] == [201, 422, 422, 400, 201]
    assert items[1]["errors"][0]["field"] == "status"
    assert {"title", "creator"} <= {e["field"] for e in items[2]["errors"]}
    assert response.get_json()["summary"] == {"created": 2, "rejected": 3}
    again = pusher.bulk([scicat_example(FULL)])
    assert again.status_code == 200 and again.get_json()["items"][0]["status"] == "unchanged"


def test_bulk_needs_an_array(pusher: Pusher, client: Any) -> None:
    response = client.post("/api/v1/published", json={"doi": "x"}, headers=pusher.headers)
    assert_problem(response, 400, "/")


def test_listing_pages_with_hashes(pusher: Pusher, client: Any) -> None:
    for n in range(5):
        pusher.put(v4_document(f"10.1234/list-{n}"))
    pusher.withdraw("10.1234/list-3")
    seen, url = [], "/api/v1/published?limit=2"
    while url:
        page = client.get(url, headers=pusher.headers)
        assert page.status_code == 200
        body = page.get_json()
        seen.extend(body["items"])
        url = body["next"]
        if url:
            assert url.startswith("https://doi.example.org/api/v1/published?")  # DMZPUB_BASE_URL, not Host
            assert page.headers["Link"] == f'<{url}>; rel="next"'
    assert [i["key"] for i in seen] == [f"10.1234/list-{n}" for n in range(5)]
    assert [i["deleted"] for i in seen] == [False, False, False, True, False]
    assert all(i["contentHash"].startswith("sha256:") and i["datestamp"] for i in seen)


@pytest.mark.parametrize("limit", ["0", "1001", "x", "-1"])
def test_listing_rejects_bad_limits(pusher: Pusher, client: Any, limit: str) -> None:
    assert_problem(client.get(f"/api/v1/published?limit={limit}", headers=pusher.headers), 400, "limit")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/api/v1/published/10.1234/x"),
        ("get", "/api/v1/published/10.1234/x"),
        ("delete", "/api/v1/published/10.1234/x"),
        ("post", "/api/v1/published"),
        ("get", "/api/v1/published"),
        ("post", "/scicat/oai/Publication"),
    ],
)
@pytest.mark.parametrize(
    "header", [None, "Bearer wrong", "Basic " + base64.b64encode(b"scicat:wrong").decode(), f"Token {TOKEN}", "Bearer"]
)
def test_every_api_route_needs_a_valid_credential(client: Any, method: str, path: str, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = getattr(client, method)(path, json=v4_document("10.1234/x"), headers=headers)
    body = assert_problem(response, 401)
    assert "Bearer" in response.headers["WWW-Authenticate"] and body["title"] == "Unauthorized"


def test_no_token_configured_refuses_writes(app_config: dict[str, Any]) -> None:
    from oai_server import create_app

    app = create_app({**app_config, "DMZPUB_PUSH_TOKENS": "", "DMZPUB_SCICAT_BASIC": ""})
    response = Pusher(app.test_client()).put(v4_document("10.1234/x"))
    assert_problem(response, 403, "DMZPUB_PUSH_TOKENS")
    store_of(app).close()


def test_tokens_file_and_cidrs(app_config: dict[str, Any], tmp_path: Any) -> None:
    from oai_server import create_app

    tokens = tmp_path / "tokens"
    tokens.write_text("# pushers\nfile-token-1\n\nfile-token-2\n")
    app = create_app({**app_config, "DMZPUB_PUSH_TOKENS_FILE": str(tokens), "DMZPUB_PUSH_ALLOW_CIDRS": "10.0.0.0/8"})
    client = app.test_client()
    inside = {"REMOTE_ADDR": "10.1.2.3"}
    put = Pusher(client, "file-token-2").put(v4_document("10.1234/x"))
    assert_problem(put, 403, "DMZPUB_PUSH_ALLOW_CIDRS")
    ok = client.put(
        "/api/v1/published/10.1234/x",
        json=v4_document("10.1234/x"),
        headers={"Authorization": "Bearer file-token-2"},
        environ_base=inside,
    )
    assert ok.status_code == 201
    store_of(app).close()


def test_scicat_routes_with_basic_auth(client: Any) -> None:
    basic = {"Authorization": "Basic " + base64.b64encode(b"scicat:s3cret").decode()}
    document = scicat_example("v3-registered-full.json")
    created = client.post("/scicat/oai/Publication", json=document, headers=basic)
    assert created.status_code == 201 and created.get_json()["status"] == "created"
    document["title"] = "Amended"
    twice = quote(quote(document["doi"], safe=""), safe="")
    updated = client.put(f"/scicat/oai/Publication/{twice}", json=document, headers=basic)
    assert updated.status_code == 200 and updated.get_json()["status"] == "updated"
    record = client.get(f"/api/v1/published/{document['doi']}", headers={"Authorization": f"Bearer {TOKEN}"})
    assert record.get_json()["metadata"]["titles"][0]["title"] == "Amended"
    assert_problem(client.put("/api/v1/published/" + document["doi"], json=document, headers=basic), 401)


def test_openapi_document(client: Any) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert {"/api/v1/published/{doi}", "/api/v1/published", "/scicat/oai/Publication"} <= set(doc["paths"])
    assert set(doc["paths"]["/api/v1/published/{doi}"]) >= {"put", "get", "delete"}


def test_healthz(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["status"] == "ok"


def test_healthz_503_when_store_is_down(app_config: dict[str, Any], tmp_path: Any, store_kind: str) -> None:
    from oai_server import create_app

    blocker = tmp_path / "file"
    blocker.write_text("")
    config = {**app_config, "DMZPUB_DATA_DIR": str(blocker / "sub")}
    if store_kind == "mongo":  # nothing listens on port 1
        config["DMZPUB_MONGO_URI"] = "mongodb://127.0.0.1:1/dmzpub?serverSelectionTimeoutMS=200&connectTimeoutMS=200"
    app = create_app(config)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.headers["Retry-After"]
    put = Pusher(app.test_client()).put(v4_document("10.1234/x"))
    assert_problem(put, 503)


def test_unknown_api_route_and_method_are_problems(client: Any, pusher: Pusher) -> None:
    assert_problem(client.get("/api/v1/nothing"), 404)
    response = client.post("/api/v1/published/10.1234/x", headers=pusher.headers)
    assert_problem(response, 405)
    assert {"PUT", "PATCH"} <= set(response.headers["Allow"].split(", "))


def test_reply_json_is_json(pusher: Pusher) -> None:
    raw = pusher.put(scicat_example(FULL)).get_data(as_text=True)
    assert json.loads(raw)["doi"] == FULL_DOI


def test_only_the_repositorys_doi_prefixes_are_published(app_config: dict[str, Any]) -> None:
    from oai_server import create_app

    app = create_app({**app_config, "DMZPUB_DOI_PREFIXES": "10.17199, 10.16907"})
    pusher = Pusher(app.test_client())
    assert pusher.put(scicat_example(FULL)).status_code == 201
    body = assert_problem(pusher.put(v4_document("10.1234/elsewhere")), 422, "doi")
    assert body["title"] == "DOI prefix not served here" and "10.17199, 10.16907" in body["detail"]
    assert pusher.get("10.1234/elsewhere").status_code == 404
    items = pusher.bulk([v4_document("10.1234/x"), v4_document("10.16907/ok")]).get_json()["items"]
    assert [(i["status"], i["httpStatus"]) for i in items] == [("rejected", 422), ("created", 201)]
    store_of(app).close()


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000 + b"]" * 100_000,  # deeper than the JSON parser's recursion
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        b'{"doi": "10.1234/x", "title": "t", "metadata": {"creators": ' + b"[" * 40 + b"]" * 40 + b"}}",
    ],
    ids=["arrays", "objects", "inside-metadata"],
)
@pytest.mark.parametrize("route", ["/api/v1/published/10.1234/x", "/api/v1/published", "/scicat/oai/Publication"])
def test_deeply_nested_bodies_are_refused_not_crashed_on(pusher: Pusher, client: Any, raw: bytes, route: str) -> None:
    method = client.put if route.endswith("/x") else client.post
    response = method(route, data=raw, content_type="application/json", headers=pusher.headers)
    body = assert_problem(response, 400, "/")
    assert "nested deeper than 32 levels" in body["detail"]
