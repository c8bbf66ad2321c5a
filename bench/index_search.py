"""Index page and search on 100,000 records (embedded SQLite store): milliseconds per request.

Fills a fresh store with N records (default 100,000; titles, creators and keywords drawn from
a small vocabulary so that some words are common and some rare), then times GET / (newest
first), a deep page, and searches for a common word, a rare word, a creator, a DOI and a word
nobody uses, through the app (Flask test client: the page work, not the HTTP server).

    python bench/index_search.py [--records 100000]
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from oai_server.store import of as store_of  # noqa: E402

WORDS = [
    "neutron",
    "x-ray",
    "tomography",
    "diffraction",
    "protein",
    "crystal",
    "powder",
    "magnet",
    "battery",
    "catalyst",
    "thin",
    "film",
]
NAMES = ["Nilsson", "Keller", "Rossi", "Andersson", "Larsen", "Smith", "Müller", "Dubois", "Novak", "Tanaka"]


def fill(app: object, records: int) -> None:
    """Write `records` entries derived from one rendered example, 1000 per store call."""
    from catalogue_core.record_writer import RecordWriter
    from catalogue_core.scicat import from_scicat
    from catalogue_core.store import base

    rng = random.Random(42)
    store = store_of(app).store  # type: ignore[arg-type]
    template = RecordWriter(store).entry(
        from_scicat(
            {
                "doi": "10.99999/bench-template",
                "title": "template",
                "abstract": "Benchmark record.",
                "creator": ["Template, T"],
                "publisher": "Bench Facility",
                "publicationYear": 2024,
            }
        )
    )
    clock = [1_600_000_000.0]
    base.utcnow = lambda: clock[0]  # one second per batch: `created` spreads over time
    for start in range(0, records, 1000):
        batch = []
        for i in range(start, min(start + 1000, records)):
            doi = f"10.99999/bench-{i:06d}"
            title = " ".join(rng.choice(WORDS) for _ in range(4)) + f" study {i}"
            creator = f"{rng.choice(NAMES)}, {chr(65 + i % 26)}"
            keyword = rng.choice(WORDS) + (" unicorn" if i % 10_000 == 7 else "")
            meta = {**template.metadata, "doi": doi, "titles": [{"title": title}], "creators": [{"name": creator}]}
            search = f"{doi} {title} {creator} {keyword}".lower()
            batch.append(dataclasses.replace(template, key=doi, doi=doi, metadata=meta, search=search))
        store.put(batch)
        clock[0] += 1


def timed(client: object, url: str, repeat: int = 20) -> float:
    client.get(url)  # type: ignore[attr-defined]
    started = time.perf_counter()
    for _ in range(repeat):
        response = client.get(url)  # type: ignore[attr-defined]
        assert response.status_code == 200, (url, response.status_code)
    return (time.perf_counter() - started) / repeat * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    from oai_server import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DMZPUB_DATA_DIR": tmp, "DMZPUB_MONGO_URI": ""})
        started = time.perf_counter()
        fill(app, args.records)
        print(f"index bench: {args.records} records written in {time.perf_counter() - started:.0f} s (SQLite)")
        client = app.test_client()
        deep = "/?before=" + quote("1970-01-01T00:00:00Z,10.99999/bench-000000")
        with app.app_context():
            store = store_of(app).store
            middle = store.browse(None, None, 50_000)[-1]
        cases = [
            ("newest page", "/"),
            ("page 2,500 (keyset)", "/?before=" + quote(f"{middle.created},{middle.key}")),
            ("past the oldest", deep),
            ("common word 'neutron'", "/?q=neutron"),
            ("two words 'neutron powder'", "/?q=neutron+powder"),
            ("rare keyword 'unicorn'", "/?q=unicorn"),
            ("creator 'müller'", "/?q=m%C3%BCller"),
            ("DOI", "/?q=10.99999/bench-054321"),
            ("no match 'zebrafish'", "/?q=zebrafish"),
        ]
        for label, url in cases:
            print(f"  {label:28s} {timed(client, url):7.1f} ms")
        store_of(app).close()


if __name__ == "__main__":
    main()
