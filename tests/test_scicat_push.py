"""SciCat's credentials and amendments: every pair SciCat sends works, a resync merges, nothing is lost."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from conftest import Pusher
from scicat_real import REGISTER_PAIR, REGISTERED_DOI, RESYNC_PAIR, real, wire_body

from catalogue_core.amendment import merged_payload
from oai_server import create_app
from oai_server.cli import main
from oai_server.config import ConfigError, load_settings
from oai_server.store import of as store_of


def basic(pair: str) -> dict[str, str]:
    """Return the Authorization header SciCat sends for a pair."""
    return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}


def scicat_put(client: Any, doi: str, body: Any, pair: str = RESYNC_PAIR) -> Any:
    """Send a resync as SciCat does: the DOI encoded twice."""
    twice = quote(quote(doi, safe=""), safe="")
    return client.put(f"/scicat/oai/Publication/{twice}", json=body, headers=basic(pair))


@pytest.fixture
def both_pairs(app_config: dict[str, Any], tmp_path: Path) -> Any:
    """Return a client of an app taking the register pair from the setting and the resync pair from a file."""
    pairs = tmp_path / "scicat-pairs"
    pairs.write_text(f"# SciCat's hard-coded resync pair\n{RESYNC_PAIR}\n", encoding="utf-8")
    app = create_app(
        {
            **app_config,
            "DMZPUB_SCICAT_BASIC": f"other:pair {REGISTER_PAIR}",
            "DMZPUB_SCICAT_BASIC_FILE": str(pairs),
            "DMZPUB_PUSH_ALLOW_CIDRS": "127.0.0.0/8",
        }
    )
    yield app.test_client()
    store_of(app).close()


def test_every_configured_pair_authenticates_and_others_do_not(both_pairs: Any) -> None:
    document = wire_body("v3-register.http")
    assert both_pairs.post("/scicat/oai/Publication", json=document, headers=basic(REGISTER_PAIR)).status_code == 201
    assert scicat_put(both_pairs, REGISTERED_DOI, {"title": "New title"}).status_code == 200
    assert scicat_put(both_pairs, REGISTERED_DOI, {"title": "x"}, pair="other:pair").status_code == 200
    assert scicat_put(both_pairs, REGISTERED_DOI, {"title": "x"}, pair="removed:wrong").status_code == 401


def test_the_hard_coded_pair_is_refused_from_outside_the_allow_list(both_pairs: Any) -> None:
    response = both_pairs.put(
        "/scicat/oai/Publication/10.16907%252Fx",
        json={"title": "x"},
        headers=basic(RESYNC_PAIR),
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert response.status_code == 403 and "DMZPUB_PUSH_ALLOW_CIDRS" in response.get_json()["detail"]


def test_the_hard_coded_pair_without_an_allow_list_stops_the_server_naming_both_settings(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"DMZPUB_SCICAT_BASIC": f"{REGISTER_PAIR} {RESYNC_PAIR}"})
    assert "DMZPUB_SCICAT_BASIC" in str(info.value) and "DMZPUB_PUSH_ALLOW_CIDRS" in str(info.value)
    pairs = tmp_path / "pairs"
    pairs.write_text(RESYNC_PAIR + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="DMZPUB_PUSH_ALLOW_CIDRS"):
        load_settings({"DMZPUB_SCICAT_BASIC_FILE": str(pairs)})
    assert load_settings({"DMZPUB_SCICAT_BASIC_FILE": str(pairs), "DMZPUB_PUSH_ALLOW_CIDRS": "10.1.0.0/16"})


def test_check_config_refuses_the_hard_coded_pair_without_an_allow_list(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DMZPUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DMZPUB_SCICAT_BASIC", RESYNC_PAIR)
    result = CliRunner().invoke(main, ["check-config"])
    assert result.exit_code == 78  # a bad setting: EX_CONFIG
    assert "DMZPUB_SCICAT_BASIC" in result.output and "DMZPUB_PUSH_ALLOW_CIDRS" in result.output


@pytest.mark.parametrize("value", ["user", ":password", "a:b nocolon"])
def test_a_pair_without_a_user_names_the_setting(value: str) -> None:
    with pytest.raises(ConfigError, match=r"^DMZPUB_SCICAT_BASIC: .*user:password"):
        load_settings({"DMZPUB_SCICAT_BASIC": value})


def test_an_amendment_sets_its_fields_and_keeps_the_others() -> None:
    stored = {"doi": "10.1/x", "title": "Old", "status": "registered", "numberOfFiles": 3, "url": "https://a"}
    merged = merged_payload(stored, {"title": "New", "numberOfFiles": None, "url": "", "abstract": "Added"})
    assert merged == {
        "doi": "10.1/x",
        "title": "New",
        "status": "registered",
        "numberOfFiles": 3,
        "url": "https://a",
        "abstract": "Added",
    }
    assert stored["title"] == "Old"


@pytest.mark.parametrize("body", ["v3-resync-fe400.json", "v3-resync-fe310.json"])
def test_a_frontend_resync_keeps_what_the_form_does_not_show(both_pairs: Any, body: str) -> None:
    both_pairs.post("/scicat/oai/Publication", json=real("v3-register-body.json"), headers=basic(REGISTER_PAIR))
    assert scicat_put(both_pairs, REGISTERED_DOI, real(body)).status_code == 200
    record = Pusher(both_pairs).get(REGISTERED_DOI).get_json()
    assert record["metadata"]["titles"][0]["title"].endswith("(corrected)")
    assert record["extras"]["status"] == "registered" and record["extras"]["numberOfFiles"] == 2104
    assert record["payload"]["authors"] == ["Jane Doe", "Max Mustermann"]
    assert record["extras"]["url"].startswith("https://doi.psi.ch/detail/")


def test_a_resync_that_breaks_the_record_is_refused_and_changes_nothing(both_pairs: Any) -> None:
    both_pairs.post("/scicat/oai/Publication", json=real("v3-register-body.json"), headers=basic(REGISTER_PAIR))
    before = Pusher(both_pairs).get(REGISTERED_DOI).get_json()
    response = scicat_put(both_pairs, REGISTERED_DOI, {"publicationYear": "soon"})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "publicationYear"
    assert Pusher(both_pairs).get(REGISTERED_DOI).get_json() == before
    assert scicat_put(both_pairs, REGISTERED_DOI, ["not", "an", "object"]).status_code in (400, 422)


def test_a_resync_of_a_withdrawn_doi_succeeds_and_publishes_nothing(both_pairs: Any) -> None:
    both_pairs.post("/scicat/oai/Publication", json=real("v3-register-body.json"), headers=basic(REGISTER_PAIR))
    Pusher(both_pairs).withdraw(REGISTERED_DOI)
    response = scicat_put(both_pairs, REGISTERED_DOI, {"title": "Back?"})
    assert response.status_code == 200 and response.get_json()["published"] is False
    assert Pusher(both_pairs).get(REGISTERED_DOI).get_json()["deleted"] is True


def test_patch_merges_like_scicats_provider_and_put_still_replaces(pusher: Pusher) -> None:
    document = real("v4-stored-full.json")
    doi = document["doi"]
    pusher.put(document)
    patched = pusher.client.patch(
        f"/api/v1/published/{doi}", json=real("v4-fe-resync-data.json"), headers=pusher.headers
    )
    assert patched.status_code == 200 and patched.get_json()["status"] == "updated"
    record = pusher.get(doi).get_json()
    assert record["metadata"]["titles"][0]["title"].endswith("(v2)")
    assert record["extras"]["status"] == "registered" and record["payload"]["registeredTime"]
    assert record["extras"]["numberOfFiles"] == 12
    replaced = pusher.put({**real("v4-fe-resync-data.json"), "doi": doi})
    assert replaced.status_code == 200 and "numberOfFiles" not in pusher.get(doi).get_json()["extras"]


def test_patch_of_an_unknown_doi_is_a_404_problem(pusher: Pusher) -> None:
    response = pusher.client.patch("/api/v1/published/10.1234/none", json={"title": "x"}, headers=pusher.headers)
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


PUSHED = ["v3-register-body.json", "v3-register-min.json", "v4-stored-full.json", "migrated.json"]


@pytest.mark.parametrize("name", PUSHED)
def test_every_record_scicat_stores_is_accepted_by_both_routes(both_pairs: Any, name: str) -> None:
    documents = [real(name)] if name != "migrated.json" else real(name)[:1]
    for document in documents:
        created = both_pairs.post("/scicat/oai/Publication", json=document, headers=basic(REGISTER_PAIR))
        assert created.status_code == 201, created.get_json()
        Pusher(both_pairs).withdraw(document["doi"])
        again = Pusher(both_pairs).put(document)
        assert again.status_code == 200 and again.get_json()["status"] == "updated", again.get_json()
    private = real("migrated.json")[1]  # SciCat's migration made pending_registration private
    refused = both_pairs.post("/scicat/oai/Publication", json=private, headers=basic(REGISTER_PAIR))
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "status"
