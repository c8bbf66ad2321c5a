"""`dmzpub reindex` after a crosswalk change moves the datestamps of changed records only."""

from __future__ import annotations

import dataclasses

import oai_support
import pytest
from conftest import CLI, NS, Pusher
from oai_support import Clock, OAIClient, corpus, oai_id, push_all

from catalogue_core.crosswalks import FORMATS

oai = oai_support.oai
clock = oai_support.clock
NOTE = "<dc:type>software-note</dc:type></oai_dc:dc>"


def test_reindex_bumps_only_records_whose_output_changed(
    oai: OAIClient, pusher: Pusher, runner: CLI, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = push_all(pusher, corpus(6))  # indices 2 and 5 are Software
    pusher.withdraw(keys[0])
    first = clock.stamp
    assert runner.invoke("reindex").output.strip() == "reindexed 6 records, 0 changed; counts rebuilt"
    changed_at = clock.advance(3600)
    original = FORMATS["oai_dc"].render

    def noted(record, context):  # type: ignore[no-untyped-def]
        out = original(record, context)
        software = record.metadata["types"]["resourceTypeGeneral"] == "Software"
        return out.replace("</oai_dc:dc>", NOTE) if software else out

    monkeypatch.setitem(FORMATS, "oai_dc", dataclasses.replace(FORMATS["oai_dc"], render=noted))
    assert runner.invoke("reindex").output.strip() == "reindexed 6 records, 2 changed; counts rebuilt"
    assert oai.identifiers(metadataPrefix="oai_dc", from_=changed_at) == [oai_id(keys[2]), oai_id(keys[5])]
    assert len(oai.identifiers(metadataPrefix="oai_dc", until=first)) == 4
    doc = oai(verb="GetRecord", identifier=oai_id(keys[5]), metadataPrefix="oai_dc")
    assert "software-note" in doc.xpath("//dc:type/text()", namespaces=NS)
    assert doc.findtext("oai:GetRecord/oai:record/oai:header/oai:datestamp", namespaces=NS) == changed_at
    clock.advance(60)
    assert runner.invoke("reindex").output.strip() == "reindexed 6 records, 0 changed; counts rebuilt"
    assert oai.identifiers(metadataPrefix="oai_dc", from_=changed_at) == [oai_id(keys[2]), oai_id(keys[5])]
