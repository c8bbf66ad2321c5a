"""Test data for the landing pages: a rich record, a hostile one, and a staged download area."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from conftest import scicat_example

from download_cache.area import STATE, DownloadArea
from download_cache.hashing import digest_bytes
from download_cache.manifest import CHECKSUMS, MANIFEST, StagedFile, render_checksums, render_manifest

RICH_DOI = "10.17199/ESS-2025-00042"
RICH_KEY = RICH_DOI.lower()
HOSTILE_TITLE = '</script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> & "quotes"'
STAGED_FILES = {
    "README.md": b"# LoKI commissioning\n\nReduced curves are in reduced/.\n",
    "raw/loki_run_000123.nxs": b"\x89HDF\r\n" + bytes(range(256)) * 40,
    "raw/loki_run_000124.nxs": b"\x89HDF\r\n" + bytes(range(256)) * 52,
    "reduced/lysozyme 50 mg-ml.dat": b"q I(q) dI\n0.01 12.5 0.2\n",
    "reduced/lysozyme_100mg-ml.dat": b"q I(q) dI\n0.01 25.1 0.3\n",
}


def rich_document() -> dict[str, Any]:
    """Return the full v4 example with more of what a rich record carries."""
    doc = scicat_example("v4-registered-full.json")
    meta = doc["metadata"]
    meta["creators"].insert(
        1,
        {
            "name": "Øster-Berg, Jonas",
            "nameType": "Personal",
            "givenName": "Jonas",
            "familyName": "Øster-Berg",
            "nameIdentifiers": [
                {"nameIdentifier": "0000-0001-5109-3700", "nameIdentifierScheme": "ORCID"},
            ],
            "affiliation": [
                {"name": "Lund University", "affiliationIdentifier": "https://ror.org/012a77v79"},
                {"name": "European Spallation Source ERIC", "affiliationIdentifier": "https://ror.org/01wv9cn34"},
            ],
        },
    )
    meta["version"] = "1.1"
    meta["subjects"].append({"subject": "lysozyme"})
    meta["descriptions"].append(
        {
            "description": "Samples were measured at 25 °C in D2O buffer.\n\nSee https://example.org/protocol.",
            "descriptionType": "Methods",
        }
    )
    meta["relatedIdentifiers"].append(
        {
            "relatedIdentifier": "https://github.com/ess-dmsc/loki-reduction",
            "relatedIdentifierType": "URL",
            "relationType": "IsCompiledBy",
        }
    )
    doc["abstract"] = (
        "Small-angle neutron scattering (SANS) measurements of hen egg-white lysozyme solutions at "
        "concentrations from 50 to 300 mg/ml, recorded during the hot commissioning of the LoKI "
        "instrument. The data show the structure-factor peak moving with crowding."
    )
    return doc


def hostile_document(doi: str = "10.1234/hostile-1") -> dict[str, Any]:
    """Return a record whose title and abstract try to inject markup and script."""
    doc = copy.deepcopy(scicat_example("v4-public-minimal.json"))
    doc.update(doi=doi, title=HOSTILE_TITLE, abstract="<b>bold</b> <a href=javascript:alert(1)>x</a>")
    doc["metadata"]["creators"] = [{"name": "<i>Mallory</i>"}]
    return doc


def stage(
    root: str | Path, key: str, files: dict[str, bytes] | None = None, staged: str = "2025-06-03T12:00:00Z"
) -> None:
    """Write a staged dataset in the download area's layout: files, SHA256SUMS, then manifest."""
    files = STAGED_FILES if files is None else files
    folder = DownloadArea(root).dataset_dir(key)
    entries = []
    for path, data in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        # The server checks a served file against its manifest entry (size and mtime), as the copier records them.
        entries.append(StagedFile(path, len(data), digest_bytes(data), target.stat().st_mtime))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CHECKSUMS).write_bytes(render_checksums(entries))
    (folder / MANIFEST).write_bytes(render_manifest(key, staged, entries))


def mark(root: str | Path, key: str, state: str) -> None:
    """Put a dataset folder into the 'staging' (folder, no manifest) or 'evicted' state."""
    folder = DownloadArea(root).dataset_dir(key)
    folder.mkdir(parents=True, exist_ok=True)
    if state == "evicted":
        (folder / STATE).write_text(json.dumps({"state": "evicted"}), encoding="utf-8")
