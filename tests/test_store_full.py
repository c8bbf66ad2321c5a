"""A full disk or read-only store answers 503 with Retry-After and a problem body, and nothing half-written."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Pusher, v4_document

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
