"""The write-time page parts stay byte for byte what they were before the rendering was made cheaper.

tests/page_parts_digests.json holds, per record of the corpus, the SHA-256 of every part but the
fingerprint, as da43307's code rendered them (before the direct writers and the cheaper templates).
A deliberate change to the pages re-captures it: `python tests/test_page_parts_bytes.py`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from conftest import SHARED, v4_document
from landing_data import hostile_document, rich_document
from oai_support import corpus

from catalogue_core.errors import InvalidRecord
from catalogue_core.scicat import from_scicat
from landing.parts import Parts, writer
from oai_server import create_app

DIGESTS = Path(__file__).with_name("page_parts_digests.json")
# A base URL with a path (a proxy's prefix) and one without: the parts carry the script root.
BASES = ("https://doi.example.org", "https://pub.example.org/dmz")


def _documents() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for folder in ("scicat", "scicat-real"):
        for path in sorted((SHARED / "examples" / folder).glob("*.json")):
            loaded = json.loads(path.read_text(encoding="utf-8"))
            for i, document in enumerate(loaded if isinstance(loaded, list) else [loaded]):
                out[f"{path.name}[{i}]"] = document
    out |= {f"corpus[{i}]": d for i, d in enumerate(corpus(6))}
    out |= {"rich": rich_document(), "hostile": hostile_document()}
    odd = "a & b < c > \"d\" 'e' \t \n ]]> ü 数据 https://x.example/a?b=1&c=2. \n\nsecond"
    out["odd"] = v4_document("10.1234/ODD-1", odd, descriptions=[{"description": odd, "descriptionType": "Abstract"}])
    # Abstracts around the description tag's cut (300 characters, 5 of leeway), with and without spaces.
    for i, text in enumerate(["Word & <b>bold</b> " * 40, "x" * 305, "x" * 306, "y " * 160, "z" * 400]):
        abstract = [{"description": text, "descriptionType": "Abstract"}]
        out[f"long[{i}]"] = v4_document(f"10.1234/LONG-{i}", "Long", descriptions=abstract)
    return out


def digests() -> dict[str, str]:
    """Return the digest of each record's parts (all but the fingerprint), per base URL."""
    out = {}
    for base in BASES:
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app({"DMZPUB_DATA_DIR": tmp, "DMZPUB_BASE_URL": base})
            render = writer(app)
            for name, document in _documents().items():
                try:
                    record = from_scicat(copy.deepcopy(document))
                except InvalidRecord:  # refused: no page
                    continue
                parts = Parts.loads(render(record))
                assert parts is not None
                fields = [parts.title, parts.head, parts.main, json.dumps(parts.links.__dict__)]
                fields += [str(parts.external_url), parts.publisher, str(parts.archive_size)]
                out[f"{base} {name}"] = hashlib.sha256("\0".join(fields).encode()).hexdigest()
    return out


def test_every_record_s_parts_are_byte_identical_to_before() -> None:
    expected = json.loads(DIGESTS.read_text())
    found = digests()
    assert len(found) >= 46
    assert {name: digest for name, digest in found.items() if expected.get(name) != digest} == {}
    assert found.keys() == expected.keys()


if __name__ == "__main__":
    DIGESTS.write_text(json.dumps(digests(), indent=1, sort_keys=True) + "\n")
    sys.exit(0)
