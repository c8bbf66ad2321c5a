"""The write-time page parts of random hostile records stay byte for byte what 42c35b3's code wrote.

test_page_parts_bytes pins the shared corpus; this pins the few hundred random records of
test_record_main_bytes (every branch: missing, empty, None, numbers where text is expected, markup,
quotes, control characters, non-BMP and right-to-left text), written through the page sections and
both writers, so a cheaper sections or body writer is held to the old bytes. tests/page_parts_random_digests.json
holds the SHA-256 of each record's parts as 42c35b3 wrote them; re-capture (a deliberate page change
only): `python tests/test_page_parts_random_bytes.py`.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

from test_record_main_bytes import _records

from landing.context import base_url
from landing.page import RecordPage
from landing.parts import render
from oai_server import create_app

DIGESTS = Path(__file__).with_name("page_parts_random_digests.json")
BASES = ("https://doi.example.org", "https://pub.example.org/dmz")


def digests() -> dict[str, str]:
    """Return the digest of each record's parts (all but the fingerprint), per base URL."""
    out = {}
    records = _records()
    for base in BASES:
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app({"DMZPUB_DATA_DIR": tmp, "DMZPUB_BASE_URL": base})
            with app.test_request_context("/", base_url=base + "/"):
                for stored in records:
                    parts = render(RecordPage(stored, base_url()))
                    fields = [parts.title, parts.head, parts.main, json.dumps(parts.links.__dict__)]
                    fields += [str(parts.external_url), parts.publisher, str(parts.archive_size)]
                    out[f"{base} {stored.doi}"] = hashlib.sha256("\0".join(fields).encode()).hexdigest()
    return out


def test_random_hostile_records_parts_are_byte_identical_to_before() -> None:
    expected = json.loads(DIGESTS.read_text())
    found = digests()
    assert len(found) > 800
    assert {name: digest for name, digest in found.items() if expected.get(name) != digest} == {}
    assert found.keys() == expected.keys()


if __name__ == "__main__":
    DIGESTS.write_text(json.dumps(digests(), indent=1, sort_keys=True) + "\n")
    sys.exit(0)
