"""Print the write-time rendering cost per record: each OAI format, the landing page parts, and the total.

Usage: python bench/render.py [--records N] [--rounds N] [--baseline REF]
In process, no server: records shaped like SciCat's full v4 example plus every SciCat example in
../shared are normalised once, then rendered as a write renders them (`render_all`, then the page
parts). As in a facility's records, the DOI, title, first creator, contributor, one subject, the
related paper and the award differ from record to record (the publisher, licence, funder and the
organisational creator are shared), and every round renders records this process has not rendered
before: a memo keyed by such values pays for its misses here as it would in production (copies of one
template made every memo hit, and a memo that cost 1.4x on real records looked like a gain).
Each figure is the best of --rounds runs, in microseconds of CPU (process time) per record.
--baseline REF also runs the code of git commit REF the same way in a child process and prints the
speed-up over it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "examples"
from _baseline import best_in_turns, measured_at  # noqa: E402 - bench/ is still on the path here
from _records import varied  # noqa: E402

if sys.path[0] == str(ROOT / "bench"):
    del sys.path[0]  # bench/landing.py would shadow the `landing` package


# Where the next batch of records starts: every call measures records this process has not rendered.
_FIRST = itertools.count(0, 100_000)


def documents(n: int, start: int = 0) -> list[Any]:
    """Return n distinct v4 documents shaped like SciCat's full example, then every shared SciCat example."""
    template = json.loads((SHARED / "scicat" / "v4-registered-full.json").read_text())
    out: list[Any] = []
    for i in range(start, start + n):
        out.append(varied(template, i, "10.5555/render-"))
    names = ["v3-pending-minimal.json", "v3-registered-full.json", "v4-public-minimal.json"]
    return out + [json.loads((SHARED / "scicat" / name).read_text()) for name in names]


def measure(records: int, rounds: int) -> dict[str, float]:
    """Return microseconds of CPU per record for each format, the page parts and the total."""
    from catalogue_core.crosswalks import RenderContext
    from catalogue_core.scicat import from_scicat
    from oai_server import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DMZPUB_DATA_DIR": tmp, "DMZPUB_BASE_URL": "https://doi.example.org"})
        from landing.parts import writer

        parts = writer(app)
        context = RenderContext(app.config["DMZPUB_BASE_URL"], "PSI.DATA")
        warm = [from_scicat(doc) for doc in documents(5, start=next(_FIRST))]
        best: dict[str, float] = {}
        # Inside a request, as a push renders (sync and reindex open one per record on top).
        with app.test_request_context("/", base_url=context.base_url + "/"):
            _round(warm, parts, context, {})  # compiles the templates: not a record's cost
            for _ in range(rounds):  # each round's records are new: a write renders a record once
                _round([from_scicat(doc) for doc in documents(records, next(_FIRST))], parts, context, best)
    return best


def _round(items: list[Any], parts: Any, context: Any, best: dict[str, float]) -> None:
    """Render every record once; lower `best` to what this round spent per record."""
    from catalogue_core.crosswalks import FORMATS

    spent = dict.fromkeys([*FORMATS, "page parts"], 0.0)
    # Formats in the registry's order and each record's in turn, as render_all and a write do.
    for record in items:
        for prefix, fmt in FORMATS.items():
            start = time.process_time()
            fmt.render(record, context)
            spent[prefix] += time.process_time() - start
        start = time.process_time()
        parts(record)
        spent["page parts"] += time.process_time() - start
    spent["total"] = sum(spent.values())
    for name, seconds in spent.items():
        best[name] = min(best.get(name, float("inf")), seconds * 1e6 / len(items))


def baseline(ref: str, args: argparse.Namespace) -> dict[str, float]:
    """Return the figures of git ref `ref`'s code, measured by this script in a child process."""
    return dict(measured_at(ref, "render", f"measure({args.records}, 1)"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", default="", help="git ref whose code to measure too, for the speed-up")
    args = parser.parse_args()
    print(f"render benchmark: {args.records + 3} records, best of {args.rounds}, CPU microseconds per record")
    there = (lambda: baseline(args.baseline, args)) if args.baseline else None
    figures, old = best_in_turns(args.rounds, lambda: measure(args.records, 1), there)
    for name, value in figures.items():
        line = f"{name:14s} {value:9.1f} us"
        if name in old:
            line += f"   {args.baseline}: {old[name]:9.1f} us   speed-up x{old[name] / value:.1f}"
        print(line)


if __name__ == "__main__":
    main()
