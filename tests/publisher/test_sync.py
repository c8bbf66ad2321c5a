"""`dmzpub sync`: SciCat v3/v4 paged reads, remembered hashes, withdrawals, outages mid-sync."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest
from conftest import SHARED, v4_document

from catalogue_core.publisher import Outbox
from catalogue_core.publisher.sync import FIRST, Planner, SyncReport, check, put, read
from catalogue_core.scicat import from_scicat

from .conftest import SCICAT_TOKEN, Intranet, all_keys, documents, held, v3_document
from .servers import LiveDMZ, SciCatStandIn


def run_sync(intranet: Intranet, scicat: SciCatStandIn, *extra: str, **env: str):
    """Run `dmzpub sync` against the stand-in with small pages."""
    args = ("sync", "--from-scicat", scicat.url, "--token", SCICAT_TOKEN, "--page-size", "7", *extra)
    return intranet.invoke(*args, **env)


@pytest.mark.parametrize(
    ("versions", "shape", "api"),
    [(("v3",), "v3", "v3"), (("v3", "v4"), "v4", "v4")],
    ids=["v3-backend", "v4-backend"],
)
def test_first_sync_pages_through_scicat(
    intranet: Intranet, dmz: LiveDMZ, dmz_store, scicat: SciCatStandIn, versions, shape, api
) -> None:
    scicat.versions = versions
    docs = documents(20, shape)
    private = {**docs[0], "doi": "10.99999/pub-private", "status": "private"}
    scicat.documents = {d["doi"]: d for d in [*docs, private]}
    result = run_sync(intranet, scicat)
    assert result.exit_code == 0, result.output
    assert f"read 21 records from SciCat ({api}): 20 new, 0 changed, 0 unchanged" in result.output
    assert "1 private skipped" in result.output
    listed = [(v, skip) for v, skip, limit in scicat.pages if limit == 7]
    assert listed == [(api, 0), (api, 7), (api, 14), (api, 21)]
    assert {r.key: r.content_hash for r in all_keys(dmz_store)} == {
        d["doi"].lower(): from_scicat(d).content_hash for d in docs
    }
    assert held(dmz_store, private["doi"]) is None


def test_delivery_starts_while_scicat_is_still_read(
    intranet: Intranet, dmz: LiveDMZ, dmz_store, scicat: SciCatStandIn
) -> None:
    docs = documents(30)
    scicat.documents = {d["doi"]: d for d in docs}
    writes_seen = []

    def last_pages_wait_for_a_delivery(skip: int) -> None:
        if skip >= 21:  # served once the DMZ has had a write, or after 20 s
            deadline = time.monotonic() + 20
            while dmz.writes == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            writes_seen.append(dmz.writes)

    scicat.before_page = last_pages_wait_for_a_delivery
    result = run_sync(intranet, scicat)
    assert result.exit_code == 0, result.output
    assert writes_seen[0] >= 1, "nothing was delivered before the last SciCat pages were read"
    assert "read 30 records from SciCat (v4): 30 new" in result.output and "delivered: 30 created" in result.output
    assert {r.key for r in all_keys(dmz_store)} == {d["doi"].lower() for d in docs}


def test_resync_without_changes_sends_nothing(intranet: Intranet, dmz: LiveDMZ, scicat: SciCatStandIn) -> None:
    scicat.documents = {d["doi"]: d for d in documents(15)}
    assert run_sync(intranet, scicat).exit_code == 0
    writes = dmz.writes
    again = run_sync(intranet, scicat)
    assert again.exit_code == 0, again.output
    assert "0 new, 0 changed, 15 unchanged, 0 withdrawn" in again.output
    assert dmz.writes == writes


def test_changes_upstream_reach_the_dmz(intranet: Intranet, dmz: LiveDMZ, dmz_store, scicat: SciCatStandIn) -> None:
    docs = documents(10)
    scicat.documents = {d["doi"]: d for d in docs}
    assert run_sync(intranet, scicat).exit_code == 0
    changed, deleted, hidden, added = docs[1], docs[2], docs[3], v4_document("10.99999/pub-new")
    scicat.documents[changed["doi"]] = {**changed, "title": "A better title"}
    del scicat.documents[deleted["doi"]]
    scicat.documents[hidden["doi"]] = {**hidden, "status": "private"}
    scicat.documents[added["doi"]] = added

    result = run_sync(intranet, scicat)
    assert result.exit_code == 0, result.output
    assert f"update {changed['doi']}: changed in the catalogue" in result.output
    assert f"withdraw {deleted['doi']}: deleted in the catalogue" in result.output
    assert f"withdraw {hidden['doi']}: made private in the catalogue" in result.output
    assert f"publish {added['doi']}: new in the catalogue" in result.output
    assert "1 new, 1 changed, 7 unchanged, 2 withdrawn, 1 private skipped" in result.output
    assert held(dmz_store, changed["doi"]).metadata["titles"][0]["title"] == "A better title"
    assert held(dmz_store, deleted["doi"]).reason == "deleted in the catalogue"
    assert held(dmz_store, hidden["doi"]).deleted
    assert dmz.effects(deleted["doi"]) == ["created", "withdrawn"]

    scicat.documents[deleted["doi"]] = deleted  # restored upstream: published again
    again = run_sync(intranet, scicat)
    assert f"publish {deleted['doi']}: public again in the catalogue" in again.output
    assert not held(dmz_store, deleted["doi"]).deleted


def test_dry_run_shows_and_changes_nothing(intranet: Intranet, dmz: LiveDMZ, scicat: SciCatStandIn) -> None:
    scicat.documents = {d["doi"]: d for d in documents(3)}
    result = run_sync(intranet, scicat, "--dry-run", DMZPUB_PUSH_URL="", DMZPUB_PUSH_TOKEN="")
    assert result.exit_code == 0, result.output
    assert "would publish 10.99999/pub-00000: new in the catalogue" in result.output
    assert "3 new" in result.output
    assert dmz.writes == 0
    assert sum(intranet.outbox().counts().values()) == 0
    assert "3 new" in run_sync(intranet, scicat).output  # the dry run remembered nothing


def test_invalid_upstream_record_is_parked_once(
    intranet: Intranet, dmz: LiveDMZ, dmz_store, scicat: SciCatStandIn
) -> None:
    docs = documents(4)
    broken = {**docs[0], "title": None}
    scicat.documents = {d["doi"]: d for d in [broken, *docs[1:]]}
    result = run_sync(intranet, scicat)
    assert result.exit_code == 1
    assert f"parked {broken['doi']} (HTTP 422): title: is required" in result.output
    assert len(all_keys(dmz_store)) == 3
    again = run_sync(intranet, scicat)
    assert "0 new, 0 changed, 4 unchanged" in again.output  # not sent again while unchanged upstream
    assert intranet.outbox().counts()["parked"] == 1

    scicat.documents[broken["doi"]] = docs[0]
    fixed = run_sync(intranet, scicat)
    assert fixed.exit_code == 0, fixed.output
    assert held(dmz_store, broken["doi"]) is not None
    assert intranet.outbox().counts()["parked"] == 0


def test_a_failed_read_withdraws_nothing(intranet: Intranet, dmz: LiveDMZ, scicat: SciCatStandIn) -> None:
    scicat.documents = {d["doi"]: d for d in documents(20)}
    assert run_sync(intranet, scicat).exit_code == 0
    scicat.fail_from_skip = 7
    result = run_sync(intranet, scicat, DMZPUB_PUSH_GIVE_UP="0.2")
    assert result.exit_code == 1 and "the SciCat backend does not answer (HTTP 500)" in result.output
    assert intranet.outbox().counts()["pending"] == 0
    assert all(effects == ["created"] for effects in map(dmz.effects, scicat.documents))


def test_a_record_missed_by_paging_is_not_withdrawn(
    intranet: Intranet, dmz: LiveDMZ, dmz_store, scicat: SciCatStandIn
) -> None:
    docs = documents(9)
    scicat.documents = {d["doi"]: d for d in docs}
    assert run_sync(intranet, scicat).exit_code == 0
    scicat.hidden = {docs[4]["doi"]}  # shifted out of the listing by a concurrent change upstream
    result = run_sync(intranet, scicat)
    assert result.exit_code == 0 and "0 withdrawn" in result.output
    assert not held(dmz_store, docs[4]["doi"]).deleted


def test_outage_in_the_middle_of_a_sync_loses_nothing_and_keeps_order(
    intranet: Intranet, dmz: LiveDMZ, dmz_store, scicat: SciCatStandIn
) -> None:
    docs = documents(130, "v3")
    scicat.documents = {d["doi"]: d for d in docs}
    dmz.stop()
    first = run_sync(intranet, scicat, DMZPUB_PUSH_GIVE_UP="0.2")
    assert first.exit_code == 1 and "130 entries wait in the outbox" in first.output

    # Upstream moves on while the first sync's entries still wait: amendments and deletions.
    changed, deleted = docs[10:25], docs[110:125]
    for doc in changed:
        scicat.documents[doc["doi"]] = v3_document(doc["doi"], "Amended: " + doc["title"])
    for doc in deleted:
        del scicat.documents[doc["doi"]]
    dmz.start()
    outages = []

    def pull_the_plug(writes: int) -> None:
        if writes == 1:  # the first bulk write is committed, its reply never leaves
            outages.append(writes)
            dmz.outage(0.5)

    dmz.after_write = pull_the_plug
    second = run_sync(intranet, scicat)
    assert second.exit_code == 0, second.output
    assert outages == [1]
    assert "15 changed" in second.output and "15 withdrawn" in second.output

    summaries = {r.key: r for r in all_keys(dmz_store)}
    assert len(summaries) == 130
    for doc in docs:
        key = doc["doi"].lower()
        if doc in deleted:
            assert dmz.effects(key) == ["created", "withdrawn"], key
            assert summaries[key].deleted
        elif doc in changed:
            assert dmz.effects(key) == ["created", "updated"], key
            assert summaries[key].content_hash == from_scicat(scicat.documents[doc["doi"]]).content_hash
        else:
            assert dmz.effects(key) == ["created"], key
            assert summaries[key].content_hash == from_scicat(doc).content_hash
    assert intranet.outbox().counts() == {"pending": 0, "parked": 0, "delivered": 160, "superseded": 0}


def test_a_change_that_leaves_the_record_alone_sends_nothing(
    intranet: Intranet, dmz: LiveDMZ, scicat: SciCatStandIn
) -> None:
    docs = documents(5)
    scicat.documents = {d["doi"]: d for d in docs}
    assert run_sync(intranet, scicat).exit_code == 0
    writes = dmz.writes
    # SciCat bookkeeping fields change the document, not the published record.
    scicat.documents[docs[0]["doi"]] = {**docs[0], "updatedAt": "2030-01-01T00:00:00.000Z", "updatedBy": "admin"}
    key = docs[0]["doi"].lower()
    assert "0 new, 0 changed, 5 unchanged" in run_sync(intranet, scicat, "--dry-run").output
    assert intranet.outbox().last_sent([key])[key].source_hash == read(docs[0]).source_hash  # a dry run writes nothing
    result = run_sync(intranet, scicat)
    assert "0 new, 0 changed, 5 unchanged" in result.output
    assert dmz.writes == writes
    sent = intranet.outbox().last_sent([key])[key]
    assert sent.source_hash == read(scicat.documents[docs[0]["doi"]]).source_hash  # the fast path next time


def test_the_body_sent_is_the_document_as_json_writes_it_compactly_for_every_example_and_odd_values() -> None:
    documents = [json.loads(p.read_text()) for p in sorted((SHARED / "examples").rglob("*.json"))]
    odd = {"floats": [1e-05, 1e16, -0.0, 0.1, 3.0, math.inf], "big": 2**70, "text": "é \u2028 \U0001f600"}
    documents.append({**v4_document("10.1234/odd"), **odd})
    sent = 0
    for document in documents:
        record = read(document)
        if record is None:  # no DOI: nothing is sent
            continue
        sent += 1
        assert record.body == json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        assert json.loads(record.body) == document
    assert sent >= 10


def test_a_document_holding_a_lone_surrogate_is_read_hashed_and_queued_with_the_escape_kept(tmp_path: Path) -> None:
    document = {**v4_document("10.1234/surrogate"), "title": "broken \ud800 text"}
    record = read(document)
    assert record is not None and "\\ud800" in record.body  # the escape, not the raw code point
    assert json.loads(record.body) == document
    outbox = Outbox(tmp_path / "outbox.sqlite")
    try:
        outbox.enqueue([put(check(record))])
        [item] = outbox.due(10)
        assert json.loads(item.body or "") == document and item.content_hash == check(record).content_hash
    finally:
        outbox.close()


def test_with_a_deliverer_alongside_the_first_page_is_queued_a_batch_at_a_time_and_later_pages_whole(
    tmp_path: Path,
) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite")
    pending: list[int] = []
    planner = Planner(outbox, SyncReport(), queued=lambda: pending.append(outbox.counts()["pending"]))
    try:
        docs = documents(500)
        planner.page([record for d in docs[:250] if (record := read(d)) is not None])
        planner.page([record for d in docs[250:] if (record := read(d)) is not None])
    finally:
        outbox.close()
    assert pending == [FIRST, 2 * FIRST, 250, 500]  # a deliverer has the first batch to send after FIRST records
