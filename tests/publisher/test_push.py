"""`dmzpub push`, `withdraw` and `outbox`: queued first, delivered in order, nothing lost."""

from __future__ import annotations

import json

import pytest
from conftest import scicat_example, v4_document

from catalogue_core.scicat import from_scicat

from .conftest import Intranet, held
from .servers import LiveDMZ

DOI = "10.99999/push-0001"


def test_push_then_withdraw_arrive_in_order(intranet: Intranet, dmz: LiveDMZ, dmz_store) -> None:
    document = v4_document(DOI, "First version")
    pushed = intranet.invoke("push", intranet.write("a.json", document))
    assert pushed.exit_code == 0, pushed.output
    assert "queued 1 record" in pushed.output and "1 created" in pushed.output
    assert held(dmz_store, DOI).content_hash == from_scicat(document).content_hash

    withdrawn = intranet.invoke("withdraw", DOI, "--reason", "duplicate of another DOI")
    assert withdrawn.exit_code == 0, withdrawn.output
    record = held(dmz_store, DOI)
    assert record.deleted and record.reason == "duplicate of another DOI"
    assert dmz.effects(DOI) == ["created", "withdrawn"]
    assert intranet.outbox().counts() == {"pending": 0, "parked": 0, "delivered": 2, "superseded": 0}


def test_push_takes_arrays_and_both_shapes(intranet: Intranet, dmz_store) -> None:
    v3, v4 = scicat_example("v3-registered-full.json"), scicat_example("v4-registered-full.json")
    result = intranet.invoke("push", intranet.write("both.json", [v3, v4]))
    assert result.exit_code == 0, result.output
    for document in (v3, v4):
        assert held(dmz_store, document["doi"]).content_hash == from_scicat(document).content_hash


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({**v4_document(DOI), "title": ""}, "title: is required"),
        ({**v4_document(DOI), "doi": "not-a-doi"}, "has no valid 'doi'"),
        (["just a string"], "is not a JSON object"),
        ({**v4_document(DOI), "status": "private"}, "private records are not published"),
        ("{not json", "cannot be read as JSON"),
    ],
    ids=["no-title", "bad-doi", "not-object", "private", "malformed"],
)
def test_bad_documents_are_refused_before_queueing(
    intranet: Intranet, dmz: LiveDMZ, content: object, expected: str
) -> None:
    good = intranet.write("good.json", v4_document("10.99999/push-good"))
    path = intranet.data_dir.parent / "bad.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    result = intranet.invoke("push", good, str(path))
    assert result.exit_code == 1
    assert expected in result.output and "nothing was queued" in result.output
    assert sum(intranet.outbox().counts().values()) == 0
    assert dmz.writes == 0


def test_dmz_outage_keeps_every_entry_then_flush_delivers(intranet: Intranet, dmz: LiveDMZ, dmz_store) -> None:
    dmz.stop()
    files = [intranet.write(f"d{i}.json", v4_document(f"10.99999/outage-{i}")) for i in range(3)]
    result = intranet.invoke("push", *files, DMZPUB_PUSH_GIVE_UP="0.3")
    assert result.exit_code == 1
    assert "delivery stopped" in result.output and "3 entries wait in the outbox" in result.output
    status = intranet.invoke("outbox", "status")
    assert status.exit_code == 1  # entries still wait: cron mails
    assert "pending=3" in status.output and "last error: " in status.output

    dmz.start()
    flushed = intranet.invoke("outbox", "flush")
    assert flushed.exit_code == 0, flushed.output
    assert "3 created" in flushed.output
    for i in range(3):
        assert dmz.effects(f"10.99999/outage-{i}") == ["created"]
        assert not held(dmz_store, f"10.99999/outage-{i}").deleted


def test_order_per_doi_survives_an_outage(intranet: Intranet, dmz: LiveDMZ, dmz_store) -> None:
    other = "10.99999/push-other"
    dmz.stop()
    fast = {"DMZPUB_PUSH_GIVE_UP": "0"}
    intranet.invoke("push", intranet.write("v1.json", v4_document(DOI, "Version one")), **fast)
    intranet.invoke("push", intranet.write("v2.json", v4_document(DOI, "Version two")), **fast)
    intranet.invoke("withdraw", DOI, "--reason", "retracted", **fast)
    intranet.invoke("push", intranet.write("other.json", v4_document(other)), **fast)
    assert intranet.outbox().counts()["pending"] == 4
    assert dmz.writes == 0

    dmz.start()
    assert intranet.invoke("outbox", "flush").exit_code == 0
    assert dmz.effects(DOI) == ["created", "updated", "withdrawn"]
    assert dmz.effects(other) == ["created"]
    assert held(dmz_store, DOI).deleted and held(dmz_store, DOI).reason == "retracted"
    entries = intranet.outbox().entries(doi_key=DOI)
    assert [e.action for e in entries] == ["put", "put", "withdraw"]
    assert [e.delivered_no for e in entries] == sorted(e.delivered_no for e in entries)


def test_delivering_the_same_record_again_changes_nothing(intranet: Intranet, dmz: LiveDMZ, dmz_store) -> None:
    path = intranet.write("a.json", v4_document(DOI))
    intranet.invoke("push", path)
    before = held(dmz_store, DOI)
    again = intranet.invoke("push", path)
    assert again.exit_code == 0 and "1 unchanged" in again.output
    assert held(dmz_store, DOI).datestamp == before.datestamp
    assert dmz.effects(DOI) == ["created"]


def test_a_refused_token_keeps_entries_queued(intranet: Intranet, dmz: LiveDMZ) -> None:
    result = intranet.invoke("push", intranet.write("a.json", v4_document(DOI)), DMZPUB_PUSH_TOKEN="wrong")
    assert result.exit_code == 1
    assert "HTTP 401" in result.output and "check DMZPUB_PUSH_TOKEN" in result.output
    assert intranet.outbox().counts()["pending"] == 1
    assert intranet.invoke("outbox", "flush").exit_code == 0
    assert dmz.effects(DOI) == ["created"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DMZPUB_PUSH_URL": ""}, "DMZPUB_PUSH_URL is not set"),
        ({"DMZPUB_PUSH_TOKEN": ""}, "DMZPUB_PUSH_TOKEN is not set"),
        ({"DMZPUB_PUSH_URL": "ftp://dmz"}, "DMZPUB_PUSH_URL: 'ftp://dmz' is not an http(s) URL"),
        ({"DMZPUB_PUSH_BACKOFF": "soon"}, "DMZPUB_PUSH_BACKOFF: 'soon' is not a number of seconds"),
    ],
)
def test_settings_problems_name_the_variable(intranet: Intranet, env: dict, expected: str) -> None:
    result = intranet.invoke("withdraw", DOI, **env)
    # A bad value is EX_CONFIG (78: systemd does not restart); a missing one is an ordinary error.
    assert result.exit_code == (1 if "is not set" in expected else 78) and expected in result.output


@pytest.mark.parametrize("command", [("outbox", "status"), ("withdraw", DOI)])
def test_an_unusable_data_dir_is_named_not_a_traceback(intranet: Intranet, tmp_path, command: tuple) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = intranet.invoke(*command, DMZPUB_DATA_DIR=str(blocker / "var"))
    assert result.exit_code == 1 and "cannot open the outbox" in result.output and "DMZPUB_DATA_DIR" in result.output


def test_intranet_commands_ignore_dmz_only_settings(intranet: Intranet) -> None:
    # On the DMZ this would stop the server; the intranet commands never read it.
    result = intranet.invoke("outbox", "status", DMZPUB_PUSH_TOKENS_FILE="/nonexistent/tokens")
    assert result.exit_code == 0 and "pending=0" in result.output


def test_withdraw_refuses_a_malformed_doi(intranet: Intranet) -> None:
    result = intranet.invoke("withdraw", "not a doi")
    assert result.exit_code == 2 and "10.<registrant>/<suffix>" in result.output
