"""Hostile requests to the push API get a clear 4xx problem naming what is wrong, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Pusher, v4_document
from test_api import assert_problem


@pytest.mark.parametrize("query", ["limt=5", "=true", "limit=2&offset=4", "cursor=x"])
def test_listing_names_unknown_query_parameters(pusher: Pusher, client: Any, query: str) -> None:
    response = client.get(f"/api/v1/published?{query}", headers=pusher.headers)
    name = query.split("&")[-1].split("=")[0]
    assert_problem(response, 400, name)


# str.isdigit() accepted "²" (then int() raised: a 500) and 5000-digit numbers (past int's 4300-digit limit: a 500).
@pytest.mark.parametrize("limit", ["%C2%B2", "%D9%A3", "9" * 5000, "1" + "0" * 4299, "+5", " 5", "5.0"])
def test_listing_refuses_odd_limits_with_a_400(pusher: Pusher, client: Any, limit: str) -> None:
    assert_problem(client.get(f"/api/v1/published?limit={limit}", headers=pusher.headers), 400, "limit")


# _year took str.isdigit() for "int() will parse this": "²" and 5000 digits raised ValueError, a 500.
@pytest.mark.parametrize("year", ["²", "²⁰²⁰", "9" * 5000, "٢٠٢٠"])
def test_push_refuses_odd_publication_years_with_a_422(pusher: Pusher, year: str) -> None:
    document = v4_document("10.5555/odd-year")
    document["metadata"]["publicationYear"] = year
    assert_problem(pusher.put(document), 422, "metadata.publicationYear")
    assert pusher.get("10.5555/odd-year").status_code == 404
