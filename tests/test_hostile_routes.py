"""Hostile requests to the public routes get a clear answer, never a 500 (each case was once a finding)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import TOKEN
from lxml import etree

from conftest import NS

# A query string whose bytes are not UTF-8, as a client can put it on the request line (gunicorn hands
# WSGI the bytes as latin-1): Werkzeug's request.args decodes it strictly and raised UnicodeDecodeError.
RAW_QUERIES = ["verb=Identify&x=\xff\xfe", "verb=\xc3\x28", "\xff=\xff", "verb=ListRecords&metadataPrefix=\xe2\x80"]


@pytest.mark.parametrize("query", RAW_QUERIES)
def test_oai_answers_non_utf8_query_bytes_with_an_oai_error(client: Any, query: str) -> None:
    response = client.get("/oai", environ_overrides={"QUERY_STRING": query})
    assert response.status_code == 200
    codes = etree.fromstring(response.data).xpath("//oai:error/@code", namespaces=NS)
    assert codes and set(codes) <= {"badArgument", "badVerb", "cannotDisseminateFormat"}, codes


@pytest.mark.parametrize("path", ["/", "/sitemap.xml", "/doi/10.5555/none"])
@pytest.mark.parametrize("query", ["q=\xff\xfe", "after=\xc3\x28&page=\xff"])
def test_pages_answer_non_utf8_query_bytes(client: Any, path: str, query: str) -> None:
    response = client.get(path, environ_overrides={"QUERY_STRING": query})
    assert response.status_code in (200, 400, 404), response.status_code


@pytest.mark.parametrize("query", ["after=\xff", "limit=\xff", "\xff=1"])
def test_api_answers_non_utf8_query_bytes_with_a_problem(client: Any, query: str) -> None:
    response = client.get(
        "/api/v1/published", environ_overrides={"QUERY_STRING": query}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code in (200, 400), response.status_code
    assert response.is_json
