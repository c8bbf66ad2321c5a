"""MongoDB writes a batch's new records in one insert_many, and falls back to single puts where that cannot hold."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from test_store_contract import entry

from catalogue_core.errors import RecordNotFound
from catalogue_core.store import ListQuery
from catalogue_core.store.mongo import MongoRepository


@pytest.fixture
def mongo(mongo_uri: str) -> Iterator[MongoRepository]:
    store = MongoRepository(mongo_uri)
    yield store
    store.close()


def _inserts(store: MongoRepository, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record how many documents each insert_many of records is given."""
    sizes: list[int] = []
    insert_many = store.records.insert_many

    def counted(docs: list[Any], **kwargs: Any) -> Any:
        sizes.append(len(docs))
        return insert_many(docs, **kwargs)

    monkeypatch.setattr(store.records, "insert_many", counted)
    return sizes


def test_a_batch_of_new_records_is_one_insert_and_counted_as_a_recount_would(
    mongo: MongoRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    mongo.put([entry(mongo, 0)])
    sizes = _inserts(mongo, monkeypatch)
    results = mongo.put([entry(mongo, n) for n in range(0, 30)])
    assert [r.outcome for r in results] == ["unchanged"] + ["created"] * 29
    assert sizes == [29]  # the held record took the single path
    counted = (mongo.count(ListQuery()), mongo.count(ListQuery(set_spec="openaire_data")))
    mongo.rebuild_counts()
    assert counted == (mongo.count(ListQuery()), mongo.count(ListQuery(set_spec="openaire_data"))) == (30, 30)


def test_a_record_created_meanwhile_by_another_writer_is_updated_as_a_single_put_would(
    mongo: MongoRepository, mongo_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    insert_many = mongo.records.insert_many
    other = MongoRepository(mongo_uri)  # another worker, writing between the batch's read and its insert

    def racing(docs: list[Any], **kwargs: Any) -> Any:
        other.put([entry(other, 2, title="First")])
        return insert_many(docs, **kwargs)

    monkeypatch.setattr(mongo.records, "insert_many", racing)
    results = mongo.put([entry(mongo, n) for n in range(1, 4)])
    assert [r.outcome for r in results] == ["created", "updated", "created"]
    record = mongo.get("10.1234/rec-00002")
    assert record is not None and record.metadata["titles"][0]["title"] == "Title"
    assert mongo.count(ListQuery()) == 3 and mongo.count(ListQuery(set_spec="openaire_data")) == 3
    other.close()


def test_a_doi_whose_withdrawal_came_first_is_not_inserted_by_the_batch(mongo: MongoRepository) -> None:
    with pytest.raises(RecordNotFound):  # not held: the withdrawal records its sequence all the same
        mongo.withdraw("10.1234/rec-00005", sequence=9)
    results = mongo.put([replace(entry(mongo, 5), sequence=8), replace(entry(mongo, 6), sequence=8)])
    assert [r.outcome for r in results] == ["stale", "created"]
    assert mongo.get("10.1234/rec-00005") is None and mongo.count(ListQuery()) == 1
