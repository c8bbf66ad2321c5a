"""Landing pages stay byte for byte what they were before the serve path was made cheaper.

tests/landing_page_digests.json holds the SHA-256 of every answer (status, headers but Date and the
request id, body) of a corpus in five download states, as da43307's code served them: first and
cached fetches, a conditional one, an export, the linkset, a staging change, a withdrawn record, a 404.
A deliberate change to the pages re-captures it: `python tests/test_landing_page_bytes.py`.
An ETag counts by its presence, not its value: ETags are opaque and their values changed once, on
purpose (tests/test_landing_etag.py proves they still change with every byte of the answer). The
digests were re-captured so with d507112's code, which served the same answers as da43307.
"""

from __future__ import annotations

import copy
import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from conftest import SHARED
from landing_data import hostile_document, mark, rich_document, stage

from catalogue_core.store import base
from oai_server import create_app

DIGESTS = Path(__file__).with_name("landing_page_digests.json")
STATES = ("absent", "staged", "many files", "staging", "evicted")
MANY_FILES = {f"run/{i:03d}.dat": bytes(i) for i in range(120)}
UNSTABLE = ("date", "x-request-id")


def _documents() -> list[dict[str, Any]]:
    docs = [rich_document(), hostile_document()]
    for folder in ("scicat", "scicat-real"):
        for path in sorted((SHARED / "examples" / folder).glob("v*.json")):
            loaded = json.loads(path.read_text(encoding="utf-8"))
            docs += [loaded] if isinstance(loaded, dict) else []
    for i in range(6):
        doc = copy.deepcopy(rich_document())
        doc.update(doi=f"10.17199/cap-{i}", title=doc["title"] + f" — variant {i} 日本")
        docs.append(doc)
    return docs


def answers() -> dict[str, str]:
    """Return the digest of each answer, by request, as the code on sys.path serves them."""
    clock = [1_700_000_000.0]

    def tick() -> float:
        clock[0] += 1
        return clock[0]

    saved, base.utcnow = base.utcnow, tick
    try:
        with tempfile.TemporaryDirectory() as tmp:
            return _serve(Path(tmp))
    finally:
        base.utcnow = saved


def _serve(folder: Path) -> dict[str, str]:
    area = folder / "downloads"
    settings = {"DMZPUB_DATA_DIR": str(folder / "var"), "DMZPUB_DOWNLOAD_DIR": str(area)}
    app = create_app({**settings, "DMZPUB_PUSH_TOKENS": "t", "DMZPUB_BASE_URL": "https://data.example.org"})
    client, auth = app.test_client(), {"Authorization": "Bearer t"}
    keys = []
    for doc in _documents():
        pushed = client.put(f"/api/v1/published/{doc.get('doi', 'none')}", json=doc, headers=auth)
        if pushed.status_code in (200, 201):
            keys.append(doc["doi"].lower())
    keys = list(dict.fromkeys(keys))
    for i, key in enumerate(keys):
        state = STATES[i % len(STATES)]
        if state in ("staged", "many files"):
            stage(area, key, MANY_FILES if state == "many files" else None)
        elif state != "absent":
            mark(area, key, state)
    client.delete(f"/api/v1/published/{keys[-1]}", headers=auth)
    out: dict[str, str] = {}

    def fetch(label: str, path: str, **headers: str) -> Any:
        answer = client.get(path, headers=headers)
        kept = sorted(
            (k, "<etag>" if k == "ETag" else v) for k, v in answer.headers.items() if k.lower() not in UNSTABLE
        )
        text = json.dumps([answer.status_code, kept], ensure_ascii=False).encode() + b"\n" + answer.data
        out[f"{label} {path}"] = hashlib.sha256(text).hexdigest()
        return answer

    for key in keys:
        first = fetch("first", f"/doi/{key}")
        fetch("cached", f"/doi/{key}")
        if "ETag" in first.headers:
            fetch("conditional", f"/doi/{key}", **{"If-None-Match": first.headers["ETag"]})
        fetch("datacite", f"/doi/{key}", Accept="application/vnd.datacite.datacite+xml")
        fetch("linkset", f"/doi/{key}/linkset")
    stage(area, keys[0])
    fetch("restaged", f"/doi/{keys[0]}")
    fetch("unknown", "/doi/10.1234/nope")
    return out


def test_every_answer_is_the_same_bytes_as_before() -> None:
    expected = json.loads(DIGESTS.read_text(encoding="utf-8"))
    assert len(expected) > 50
    assert answers() == expected


if __name__ == "__main__":
    DIGESTS.write_text(json.dumps(answers(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {DIGESTS} with {sys.argv[0]}")
