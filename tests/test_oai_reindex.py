"""`dmzpub reindex` after a crosswalk change moves the datestamps of changed records only."""

from __future__ import annotations

import dataclasses
from typing import Any

import oai_support
import pytest
from conftest import CLI, NS, Pusher
from oai_support import Clock, OAIClient, corpus, oai_id, push_all

from catalogue_core import record_writer, reindex
from catalogue_core.crosswalks import FORMATS
from catalogue_core.errors import FieldProblem, InvalidRecord
from catalogue_core.scicat import from_scicat
from oai_server.store import of as store_of

oai = oai_support.oai
clock = oai_support.clock
NOTE = "<dc:type>software-note</dc:type></oai_dc:dc>"


@pytest.mark.parametrize("workers", ["1", "3"])
def test_reindex_bumps_only_records_whose_output_changed(
    oai: OAIClient, pusher: Pusher, runner: CLI, clock: Clock, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    monkeypatch.setattr(reindex, "PAGE", 2)  # three pages, rendered by several workers at once
    keys = push_all(pusher, corpus(6))  # indices 2 and 5 are Software
    pusher.withdraw(keys[0])
    first = clock.stamp
    reindexed = runner.invoke("reindex", "--workers", workers).output.strip()
    assert reindexed == "reindexed 6 records, 0 changed; counts rebuilt"
    changed_at = clock.advance(3600)
    original = FORMATS["oai_dc"].render

    def noted(record, context):  # type: ignore[no-untyped-def]
        out = original(record, context)
        software = record.metadata["types"]["resourceTypeGeneral"] == "Software"
        return out.replace("</oai_dc:dc>", NOTE) if software else out

    monkeypatch.setitem(FORMATS, "oai_dc", dataclasses.replace(FORMATS["oai_dc"], render=noted))
    reindexed = runner.invoke("reindex", "--workers", workers).output.strip()
    assert reindexed == "reindexed 6 records, 2 changed; counts rebuilt"
    assert oai.identifiers(metadataPrefix="oai_dc", from_=changed_at) == [oai_id(keys[2]), oai_id(keys[5])]
    assert len(oai.identifiers(metadataPrefix="oai_dc", until=first)) == 4
    doc = oai(verb="GetRecord", identifier=oai_id(keys[5]), metadataPrefix="oai_dc")
    assert "software-note" in doc.xpath("//dc:type/text()", namespaces=NS)
    assert doc.findtext("oai:GetRecord/oai:record/oai:header/oai:datestamp", namespaces=NS) == changed_at
    clock.advance(60)
    reindexed = runner.invoke("reindex", "--workers", workers).output.strip()
    assert reindexed == "reindexed 6 records, 0 changed; counts rebuilt"
    assert oai.identifiers(metadataPrefix="oai_dc", from_=changed_at) == [oai_id(keys[2]), oai_id(keys[5])]


def test_reindex_in_worker_processes_stores_the_bytes_this_process_renders(
    app: Any, pusher: Pusher, runner: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reindex, "PAGE", 3)
    keys = push_all(pusher, corpus(8))
    original = FORMATS["oai_dc"].render
    noted = dataclasses.replace(FORMATS["oai_dc"], render=lambda *args: original(*args).replace("</oai_dc:dc>", NOTE))
    monkeypatch.setitem(FORMATS, "oai_dc", noted)  # after a crosswalk change, every record is written again
    assert runner.invoke("reindex", "--workers", "2").output.strip() == "reindexed 8 records, 8 changed; counts rebuilt"
    writer = store_of(app).writer
    for key in keys:
        stored = writer.store.get(key)
        assert stored is not None
        assert stored.rendered == writer.entry(from_scicat(stored.payload, stored.doi)).rendered


@pytest.mark.parametrize("workers", ["1", "2"])
def test_reindex_stops_with_the_error_of_a_stored_record_that_no_longer_normalises(
    pusher: Pusher, runner: CLI, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    keys = push_all(pusher, corpus(4))
    refused = InvalidRecord([FieldProblem("title", "refused by a newer rule")])

    def stricter(payload: Any, doi: str | None = None, plain: bool = False) -> Any:
        if doi is not None and doi.lower() == keys[2]:
            raise refused
        return from_scicat(payload, doi, plain)

    monkeypatch.setattr(record_writer, "from_scicat", stricter)  # inherited by the forked workers
    with pytest.raises(InvalidRecord) as raised:  # not a hang: the workers' error reaches this process
        runner.invoke("reindex", "--workers", workers)
    assert raised.value.problems == refused.problems


@pytest.mark.parametrize("workers", ["1", "2"])
def test_reindex_writes_a_new_search_text_alone_without_moving_a_datestamp(
    app: Any, pusher: Pusher, runner: CLI, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    keys = push_all(pusher, corpus(3))
    store = store_of(app).writer.store
    before = {key: store.summary(key).datestamp for key in keys}
    assert store.browse("zeolite", None, 10) == []
    original = record_writer.search_text
    monkeypatch.setattr(record_writer, "search_text", lambda record: original(record) + " zeolite")
    # Formats, parts and sets render as stored: only the search text moved, and it must still be written.
    assert (
        runner.invoke("reindex", "--workers", workers).output.strip()
        == "reindexed 3 records, 0 changed; counts rebuilt"
    )
    assert sorted(r.key for r in store.browse("zeolite", None, 10)) == sorted(keys)
    assert {key: store.summary(key).datestamp for key in keys} == before


def test_reindex_in_worker_processes_writes_what_a_single_process_reindex_writes(
    app: Any, pusher: Pusher, runner: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reindex, "PAGE", 2)
    keys = push_all(pusher, corpus(7))
    pusher.withdraw(keys[3])
    store = store_of(app).writer.store
    original = FORMATS["oai_dc"].render

    def noted(record, context):  # type: ignore[no-untyped-def]
        out = original(record, context)
        software = record.metadata["types"]["resourceTypeGeneral"] == "Software"
        return out.replace("</oai_dc:dc>", NOTE) if software else out

    monkeypatch.setitem(FORMATS, "oai_dc", noted_format := dataclasses.replace(FORMATS["oai_dc"], render=noted))
    assert FORMATS["oai_dc"] is noted_format
    said = runner.invoke("reindex", "--workers", "2").output.strip()
    parallel = {key: store.get(key) for key in keys}
    monkeypatch.setitem(FORMATS, "oai_dc", dataclasses.replace(FORMATS["oai_dc"], render=original))
    runner.invoke("reindex", "--workers", "1")  # back to the stored renderings, in this one process
    monkeypatch.setitem(FORMATS, "oai_dc", noted_format)
    assert (
        runner.invoke("reindex", "--workers", "1").output.strip()
        == said
        == ("reindexed 7 records, 2 changed; counts rebuilt")
    )
    serial = {key: store.get(key) for key in keys}
    assert [(s.rendered, s.sets, s.deleted) for s in serial.values()] == [
        (p.rendered, p.sets, p.deleted) for p in parallel.values()
    ]
