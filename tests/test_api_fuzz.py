"""Mutated SciCat documents never cause a 500, anywhere: push, landing page, OAI-PMH."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Pusher, scicat_example

EXAMPLES = ("v4-registered-full.json", "v3-registered-full.json", "v3-pending-minimal.json")
# Values of every JSON type, empty and odd: what a buggy or hostile pusher might send.
VALUES: list[Any] = [
    None, 0, -1, 1.5, True, "", " ", "x", "\x00\ud800", "<b>&amp;", "10.1234/x", "2020", "9" * 400,
    [], {}, [1], [None], [{}], {"a": 1}, [""], ["x"], {"name": 5}, [[1]], {"relatedIdentifier": ["x"]},
]  # fmt: skip


def _paths(value: Any, path: tuple = ()) -> Iterator[tuple]:
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*path, index))


def mutants(seed: int, count: int) -> Iterator[dict[str, Any]]:
    """Yield documents with one to three subtrees replaced by odd values."""
    rng = random.Random(seed)
    for n in range(count):
        document = scicat_example(rng.choice(EXAMPLES))
        for _ in range(rng.randint(1, 3)):
            *parent_path, last = rng.choice([p for p in _paths(document) if p])
            parent = document
            for key in parent_path:
                parent = parent[key]
            parent[last] = copy.deepcopy(rng.choice(VALUES))
        document["doi"] = f"10.5555/fuzz-{seed}-{n}"
        yield document


@pytest.mark.parametrize("seed", range(4))
def test_mutated_documents_get_a_clear_answer(pusher: Pusher, client: Any, seed: int) -> None:
    accepted = 0
    for document in mutants(seed, 60):
        doi = document["doi"]
        response = pusher.put(document, doi=doi)
        assert response.status_code in (200, 201, 400, 422), (response.status_code, document)
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json" and response.get_json()["errors"]
            assert pusher.get(doi).status_code == 404  # nothing half-written
            continue
        accepted += 1
        assert client.get(f"/doi/{doi}").status_code == 200
        oai = client.get(f"/oai?verb=GetRecord&metadataPrefix=oai_datacite&identifier=oai:doi.example.org:{doi}")
        # Only records whose DOI is registered are harvested (DMZPUB_HARVEST_STATUSES).
        harvested = pusher.get(doi).get_json()["extras"]["status"] in ("registered", "amended")
        assert oai.status_code == 200 and (b"<GetRecord>" if harvested else b'"idDoesNotExist"') in oai.data
    assert 0 < accepted < 60  # the mutations reach both outcomes
