"""A landing-page search has a bounded cost: repeated or redundant terms count once, too many are refused, and
the store stops a search that runs past its time budget."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Pusher, v4_document

from catalogue_core.store.base import MAX_SEARCH_TERMS, search_terms
from oai_server import create_app
from oai_server.store import of as store_of


def test_a_hundred_repeated_one_character_terms_are_one_lookup() -> None:
    # `/?q=1 1 1 …` (100 terms in 200 characters) took 2.98 s at 178k records: one FTS lookup per term.
    assert search_terms(" ".join(["1"] * 100)) == [["1"]]


def test_a_term_that_starts_another_adds_nothing() -> None:
    assert search_terms("neut neutron Neutron scat neutron-scattering") == [["neutron", "scattering"]]
    assert search_terms("neutron scattering") == [["neutron"], ["scattering"]]


def test_more_distinct_terms_than_the_cap_are_a_400(client: Any) -> None:
    text = " ".join(f"w{i}x" for i in range(MAX_SEARCH_TERMS + 1))
    response = client.get("/", query_string={"q": text})
    assert response.status_code == 400 and f"more than {MAX_SEARCH_TERMS}" in response.get_data(as_text=True)
    assert client.get("/", query_string={"q": " ".join(["ab"] * 50)}).status_code == 200


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_search_past_its_time_budget_is_stopped_with_a_503(
    app_config: dict[str, Any], tmp_path: Path, store_kind: str
) -> None:
    app = create_app(app_config)
    try:
        pusher = Pusher(app.test_client())
        assert (
            pusher.bulk([v4_document(f"10.5555/budget-{i}", title=f"Neutron run {i}") for i in range(300)]).status_code
            == 200
        )
        store = store_of(app).store
        store.search_budget = 0.0  # already spent: the first progress check stops the query
        response = app.test_client().get("/", query_string={"q": "neutron run"})
        assert response.status_code == 503 and response.headers["Retry-After"]
        assert "took too long" in response.get_data(as_text=True)
        store.search_budget = 30.0
        assert app.test_client().get("/", query_string={"q": "neutron run"}).status_code == 200
    finally:
        store_of(app).close()


def _clone_mongo_records(uri: str, copies: int) -> None:
    """Copy the stored records over the wire with long search texts: a search over them outlasts 10 ms."""
    from pymongo import MongoClient

    with MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
        records = client.get_default_database()["published_records"]
        originals = list(records.find({}, {"payload": 0, "rendered": 0}))
        for n in range(copies):
            clones = [
                {**doc, "_id": f"{doc['_id']}-copy-{n}", "search": doc["search"] + " filler words" * 2000}
                for doc in originals
            ]
            records.insert_many([{**clone, "payload": "{}", "rendered": {}} for clone in clones])


@pytest.mark.parametrize("store_kind", ["mongo"])
def test_a_mongodb_search_past_its_budget_setting_is_stopped_with_a_503_and_the_worker_goes_on(
    app_config: dict[str, Any], store_kind: str
) -> None:
    # MongoDB enforces the budget itself (maxTimeMS); its ExecutionTimeout must be the same clear 503.
    app = create_app({**app_config, "DMZPUB_SEARCH_BUDGET": "0.01"})
    try:
        pusher = Pusher(app.test_client())
        documents = [v4_document(f"10.5555/budget-{i}", title=f"Neutron run {i}") for i in range(50)]
        assert pusher.bulk(documents).status_code == 200
        _clone_mongo_records(app_config["DMZPUB_MONGO_URI"], 4)
        client = app.test_client()
        # No record matches: all 250 long texts are tested against the words, far past 10 ms.
        response = client.get("/", query_string={"q": "neutron zzyzx"})
        assert response.status_code == 503 and response.headers["Retry-After"]
        assert "took too long" in response.get_data(as_text=True)
        store = store_of(app).store
        store.search_budget = 0.0  # spent before it starts: still stopped (maxTimeMS 0 would mean no limit)
        assert client.get("/", query_string={"q": "neutron zzyzx"}).status_code == 503
        store.search_budget = 60.0
        assert client.get("/", query_string={"q": "neutron zzyzx"}).status_code == 200
        assert client.get("/healthz").status_code == 200
    finally:
        store_of(app).close()
