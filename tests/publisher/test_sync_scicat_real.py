"""`dmzpub sync` from a stand-in serving what a real SciCat stores: every record is accepted, private ones skipped."""

from __future__ import annotations

import pytest
from scicat_real import real

from catalogue_core.scicat import from_scicat

from .conftest import SCICAT_TOKEN, Intranet, all_keys, held
from .servers import LiveDMZ, SciCatStandIn


@pytest.mark.parametrize(
    ("versions", "names"),
    [(("v3",), ["v3-register-body.json", "v3-register-min.json"]), (("v3", "v4"), ["v4-stored-full.json"])],
    ids=["v3-backend", "v4-backend-migrated"],
)
def test_sync_accepts_every_record_scicat_stores(
    intranet: Intranet, dmz: LiveDMZ, dmz_store, scicat: SciCatStandIn, versions, names
) -> None:
    scicat.versions = versions
    docs = [real(name) for name in names]
    if "v4" in versions:
        docs += real("migrated.json")  # one registered, one that the migration made private
    scicat.documents = {d["doi"]: d for d in docs}
    args = ("sync", "--from-scicat", scicat.url, "--token", SCICAT_TOKEN)
    result = intranet.invoke(*args)
    assert result.exit_code == 0, result.output
    published = [d for d in docs if d.get("status") != "private"]
    assert {r.key: r.content_hash for r in all_keys(dmz_store)} == {
        d["doi"].lower(): from_scicat(d).content_hash for d in published
    }
    assert "parked" not in result.output.lower() or "0 parked" in result.output.lower()
    if "v4" in versions:
        assert "1 private skipped" in result.output
        migrated = held(dmz_store, real("migrated.json")[0]["doi"])
        assert migrated.extras["thumbnail"]["mediaType"] == "image/png"
        assert [c["contributorType"] for c in migrated.metadata["contributors"]] == ["Researcher"]
