"""`dmzpub reconcile`: the DMZ is brought back to exactly what SciCat publishes."""

from __future__ import annotations

from conftest import TOKEN, v4_document
from flask.testing import FlaskClient

from catalogue_core.scicat import from_scicat

from .conftest import SCICAT_TOKEN, Intranet, all_keys, documents, held
from .servers import LiveDMZ, SciCatStandIn

HEADERS = {"Authorization": f"Bearer {TOKEN}"}


def reconcile(intranet: Intranet, scicat: SciCatStandIn, *extra: str):
    """Run `dmzpub reconcile` against the stand-in."""
    return intranet.invoke("reconcile", "--from-scicat", scicat.url, "--token", SCICAT_TOKEN, *extra)


def test_reconcile_repairs_every_difference(
    intranet: Intranet, dmz: LiveDMZ, dmz_store, scicat: SciCatStandIn, client: FlaskClient
) -> None:
    docs = documents(12)
    scicat.documents = {d["doi"]: d for d in docs}
    sync = intranet.invoke("sync", "--from-scicat", scicat.url, "--token", SCICAT_TOKEN)
    assert sync.exit_code == 0, sync.output

    # The DMZ drifts: a restore from an old backup, a manual change, a stray record, a lost one.
    withdrawn, altered, stray = docs[0], docs[1], v4_document("10.99999/stray")
    assert client.delete(f"/api/v1/published/{withdrawn['doi']}", headers=HEADERS).status_code == 200
    altered_doc = {**altered, "title": "Edited on the DMZ by hand"}
    assert client.put(f"/api/v1/published/{altered['doi']}", json=altered_doc, headers=HEADERS).status_code == 200
    assert client.put(f"/api/v1/published/{stray['doi']}", json=stray, headers=HEADERS).status_code == 201
    missing = v4_document("10.99999/pub-99999", "Only in SciCat")
    scicat.documents[missing["doi"]] = missing

    dry = reconcile(intranet, scicat, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would repair 4" in dry.output
    assert held(dmz_store, stray["doi"]) is not None and not held(dmz_store, stray["doi"]).deleted

    result = reconcile(intranet, scicat)
    assert result.exit_code == 0, result.output
    assert f"update {withdrawn['doi']}: withdrawn on the DMZ but public in the catalogue" in result.output
    assert f"update {altered['doi']}: differs on the DMZ" in result.output
    assert f"publish {missing['doi']}: missing on the DMZ" in result.output
    assert f"withdraw {stray['doi']}: not published in the catalogue" in result.output
    assert "compared 12 records on the DMZ with 13 in SciCat (v4): 10 match, repaired 4" in result.output

    live = {r.key: r.content_hash for r in all_keys(dmz_store) if not r.deleted}
    assert live == {d["doi"].lower(): from_scicat(d).content_hash for d in scicat.documents.values()}
    assert held(dmz_store, stray["doi"]).deleted

    again = reconcile(intranet, scicat)
    assert "repaired 0" in again.output
    resync = intranet.invoke("sync", "--from-scicat", scicat.url, "--token", SCICAT_TOKEN)
    assert "0 new, 0 changed" in resync.output  # reconcile left the remembered hashes in step
