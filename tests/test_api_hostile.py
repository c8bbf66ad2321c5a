"""Hostile requests to the push API get a clear 4xx problem naming what is wrong, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Pusher
from test_api import assert_problem


@pytest.mark.parametrize("query", ["limt=5", "=true", "limit=2&offset=4", "cursor=x"])
def test_listing_names_unknown_query_parameters(pusher: Pusher, client: Any, query: str) -> None:
    response = client.get(f"/api/v1/published?{query}", headers=pusher.headers)
    name = query.split("&")[-1].split("=")[0]
    assert_problem(response, 400, name)
