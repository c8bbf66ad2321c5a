"""A full disk or read-only store answers 503 with Retry-After and a problem body, and nothing half-written."""

from __future__ import annotations

import time
from typing import Any

import pytest
from conftest import Pusher, v4_document

from catalogue_core.store.base import PROBE_INTERVAL, format_datestamp
from oai_server.store import of as store_of


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_full_store_answers_503_and_the_reply_matches_what_was_committed(
    app: Any, client: Any, pusher: Pusher, store_kind: str
) -> None:
    assert pusher.put(v4_document("10.5555/before-full")).status_code == 201
    store = store_of(app).store
    db = store._db()  # the test client runs in this thread: the same connection
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "database or disk is full"
    try:
        documents = [v4_document(f"10.5555/full-{i}", title="x" * 4000) for i in range(50)]
        response = pusher.bulk(documents)
        assert response.status_code == 503, response.data
        assert response.mimetype == "application/problem+json" and response.headers["Retry-After"]
        single = pusher.put(v4_document("10.5555/full-one", title="y" * 20000))
        assert single.status_code == 503 and single.headers["Retry-After"]
    finally:
        db.execute("PRAGMA max_page_count = 1073741823")
    assert all(pusher.get(f"10.5555/full-{i}").status_code == 404 for i in range(50))
    assert pusher.get("10.5555/full-one").status_code == 404
    assert db.execute("SELECT count(*) FROM inflight").fetchone()[0] == 0
    assert pusher.put(v4_document("10.5555/after-full")).status_code == 201


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_healthz_reports_a_store_that_cannot_be_written_with_503_and_the_reason(
    app: Any, client: Any, store_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.get("/healthz").status_code == 200
    store = store_of(app).store
    db = store._db()  # the test client runs in this thread: the same connection
    db.execute("PRAGMA query_only = 1")  # SQLite refuses every write, as for a read-only file
    try:
        assert client.get("/healthz").status_code == 200  # the probe of a moment ago still answers
        monkeypatch.setattr(store, "_probed", store._probed - PROBE_INTERVAL)  # a second later
        response = client.get("/healthz")
    finally:
        db.execute("PRAGMA query_only = 0")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert response.json["status"] == "unwritable" and "readonly" in response.json["detail"]
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_healthz_reports_the_last_write_that_failed_on_a_full_store(
    app: Any, client: Any, pusher: Pusher, store_kind: str
) -> None:
    db = store_of(app).store._db()
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    try:
        assert pusher.put(v4_document("10.5555/too-big", title="z" * 40000)).status_code == 503
        response = client.get("/healthz")
    finally:
        db.execute("PRAGMA max_page_count = 1073741823")
    assert response.status_code == 503 and "full" in response.json["detail"]
    assert pusher.put(v4_document("10.5555/fits-again")).status_code == 201
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_write_that_failed_on_a_full_store_leaves_nothing_holding_back_the_watermark(
    app: Any, client: Any, pusher: Pusher, store_kind: str
) -> None:
    # SQLite's writes register no in-flight marker (safe_now waits for the write running), so a
    # failed one cannot leave one behind for the write probe to clear.
    store = store_of(app).store
    db = store._db()
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    try:
        before = format_datestamp(time.time())
        assert pusher.put(v4_document("10.5555/too-big", title="z" * 40000)).status_code == 503
        assert db.execute("SELECT count(*) FROM inflight").fetchone()[0] == 0 and not store._orphans
        assert store.safe_now() >= before
    finally:
        db.execute("PRAGMA max_page_count = 1073741823")
