"""Print the write-time cost of a page's head tags, JSON-LD, citations, Link values and stored text, against a git ref.

Usage: python bench/render_meta.py --baseline REF [--records N] [--rounds N]
REF needs the writers this bench calls (landing/head.py, jsonld.py: 42c35b3 or later); for older commits,
bench/render.py --baseline compares the whole page parts.
In one process: REF's `landing` package is exported and imported as `landing_old` (its imports are relative,
so it runs on this checkout's catalogue_core), and each piece of bench/render.py's records is written by the
old and the new code in turns, round after round; each figure is the best round, in CPU microseconds per
record. Turns in one process keep the shared machine's load out of the ratio as far as can be done.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
from render import documents  # noqa: E402 - bench/ is still on the path here

if sys.path[0] == str(ROOT / "bench"):
    del sys.path[0]  # bench/landing.py would shadow the `landing` package

Piece = Callable[[int], object]


def _exported(ref: str, folder: str) -> None:
    """Export REF's landing package into `folder` as landing_old."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "landing"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
    Path(folder, "landing").rename(Path(folder, "landing_old"))
    sys.path.append(folder)


def _pieces(package: str, app: Any, records: list[Any]) -> dict[str, Piece]:
    """Return, per piece, a function writing it for record i with `package`'s code (pages and sections made first)."""
    mod: dict[str, ModuleType] = {
        name: importlib.import_module(f"{package}.{name}")
        for name in ("parts", "head", "jsonld", "citation", "signposting", "exports", "page", "sections")
    }
    from catalogue_core.store import StoredRecord

    parts, exports, citation = mod["parts"], mod["exports"].EXPORTS, mod["citation"]
    base = app.config["DMZPUB_BASE_URL"]
    pages = [
        mod["page"].RecordPage(
            StoredRecord(r.key, r.doi, "", "", False, "", metadata=r.metadata, extras=r.extras), base
        )
        for r in records
    ]
    sections = [mod["sections"].record_sections(page) for page in pages]
    rendered = [parts.render(page) for page in pages]  # also reads every cached value of the pages
    slots = {name: parts.SLOT.format(name) for name in parts.LIVE_MEMBERS}
    if hasattr(citation, "page_citations"):
        cite: Piece = lambda i: citation.page_citations(pages[i], sections[i])  # noqa: E731
    else:
        cite = lambda i: (  # noqa: E731
            citation.datacite(pages[i].doi, pages[i].meta, pages[i].creators),
            citation.bibtex(pages[i].doi, pages[i].meta, pages[i].landing_url, pages[i].creators),
        )
    pieces: dict[str, Piece] = {
        "head tags": lambda i: mod["head"].head_tags(pages[i], exports, sections[i]),
        "JSON-LD": lambda i: mod["jsonld"].text(pages[i], sections[i], slots),
        "citations": cite,
        "Link values": lambda i: mod["signposting"].static_links(pages[i]),
        "stored text": lambda i: rendered[i].dumps(),
    }
    each = list(pieces.values())
    pieces["these, together"] = lambda i: [piece(i) for piece in each]
    writer = parts.writer(app)
    pieces["whole page parts"] = lambda i: writer(records[i])
    return pieces


def _best(old: Piece, new: Piece, count: int, rounds: int) -> tuple[float, float]:
    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        for k, piece in enumerate((old, new)):
            start = time.process_time()
            for i in range(count):
                piece(i)
            best[k] = min(best[k], time.process_time() - start)
    return best[0] * 1e6 / count, best[1] * 1e6 / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--baseline", required=True, help="git ref whose landing package to measure against")
    args = parser.parse_args()
    from catalogue_core.scicat import from_scicat
    from oai_server import create_app

    with tempfile.TemporaryDirectory() as tmp:
        _exported(args.baseline, tmp)
        if not all(Path(tmp, "landing_old", f"{name}.py").exists() for name in ("head", "jsonld")):
            sys.exit(f"{args.baseline} has no landing/head.py or jsonld.py to compare: use bench/render.py --baseline")
        app = create_app({"DMZPUB_DATA_DIR": tmp, "DMZPUB_BASE_URL": "https://doi.example.org"})
        records = [from_scicat(doc) for doc in documents(args.records)]
        # Inside a request, as a push renders.
        with app.test_request_context("/", base_url="https://doi.example.org/"):
            old, new = _pieces("landing_old", app, records), _pieces("landing", app, records)
            print(f"render_meta benchmark: {len(records)} records, best of {args.rounds}, CPU microseconds per record")
            for name in new:
                before, after = _best(old[name], new[name], len(records), args.rounds)
                line = f"{args.baseline}: {before:7.1f} us   this checkout: {after:7.1f} us   x{before / after:.2f}"
                print(f"{name:17s} {line}")


if __name__ == "__main__":
    main()
