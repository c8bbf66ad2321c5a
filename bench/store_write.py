"""Print the store's own write cost per record: single puts (one record each) and batch puts, no server.

Usage: python bench/store_write.py [--records N] [--batch N] [--rounds N] [--stores sqlite,mongo] [--baseline REF]
In process: records shaped like SciCat's full v4 example are normalised and rendered once, by the app's own
RecordWriter (every OAI format and the landing page's parts, as a push writes them), then written to a fresh
store that already holds --records others: --records single puts, then --records more in puts of --batch.
Each figure is the best of --rounds runs, in microseconds per record: CPU (process time, the store's
background thread included, SQLite's search index caught up at the end of each) and by the clock. On SQLite a
second, untimed pass with no checkpoints counts the WAL pages each record's write appends (single and batched).
MongoDB is a mongoeco wire server started in this process (Python >= 3.13), whose CPU is counted too.
--baseline REF also runs the code of git commit REF the same way in a child process, in turns with this code,
and prints the speed-up over it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _baseline import best_in_turns, measured_at
from _records import varied

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "examples" / "scicat"


def documents(n: int, run: str) -> list[dict[str, Any]]:
    """Return n distinct v4 documents shaped like SciCat's full example."""
    template = json.loads((SHARED / "v4-registered-full.json").read_text())
    out = []
    for i in range(n):
        out.append(varied(template, i, f"10.5555/store-{run}-"))
    return out


def measure(kind: str, records: int, batch: int) -> dict[str, float]:
    """Return microseconds per record (CPU and clock) of single and batch puts on a fresh store (and WAL pages)."""
    with tempfile.TemporaryDirectory() as tmp:
        entries = _entries(tmp, records)
        with _store(kind, tmp) as repo:
            repo.put(entries["w"])  # a store that is not empty: its indexes have depth
            figures: dict[str, float] = {}
            with _timed(figures, "single put", records):
                for entry in entries["s"]:
                    repo.put([entry])
                _caught_up(repo)
            with _timed(figures, f"batch put ({batch})", records):
                for start in range(0, records, batch):
                    repo.put(entries["b"][start : start + batch])
                _caught_up(repo)
        if kind == "sqlite":
            figures.update(_wal_pages(tmp, entries, batch))
    return figures


def _caught_up(repo: Any) -> None:
    """Fold what SQLite's search index has pending (schema version 5), so that each figure counts its own writes."""
    catch_up = getattr(repo, "_catch_up_search", None)  # older code (--baseline) indexes inside each write
    if catch_up is not None:
        catch_up()


def _entries(tmp: str, records: int) -> dict[str, list[Any]]:
    """Return three runs of entries ("w"arm-up, "s"ingle, "b"atch) as the app's RecordWriter makes them."""
    from catalogue_core.scicat import from_scicat
    from oai_server import create_app
    from oai_server.store import of

    app = create_app({"DMZPUB_DATA_DIR": str(Path(tmp) / "app"), "DMZPUB_MONGO_URI": ""})
    writer = of(app).writer  # with the landing page's parts: ~12 KB of a record's ~21 KB of renderings
    try:
        return {run: [writer.entry(from_scicat(d)) for d in documents(records, run)] for run in "wsb"}
    finally:
        of(app).close()


def _wal_pages(tmp: str, entries: dict[str, list[Any]], batch: int) -> dict[str, float]:
    """Return the WAL pages a record's write appends, single and batched, on a store with no checkpoints."""
    from catalogue_core.store.sqlite import SQLiteRepository

    path = Path(tmp) / "wal.sqlite"
    repo = SQLiteRepository(path)
    repo._checkpoints.committed = lambda: None  # type: ignore[method-assign]  # the WAL only grows: its size counts
    try:
        repo.put(entries["w"])
        _caught_up(repo)
        page = repo._db().execute("PRAGMA page_size").fetchone()[0]
        frames = lambda: (Path(f"{path}-wal").stat().st_size - 32) / (24 + page)  # noqa: E731  # header, frames
        figures, start = {}, frames()
        for entry in entries["s"]:
            repo.put([entry])
        _caught_up(repo)  # the index's pages: in one fold here, in a fold every INTERVAL when served
        figures["single put WAL pages"], start = (frames() - start) / len(entries["s"]), frames()
        for first in range(0, len(entries["b"]), batch):
            repo.put(entries["b"][first : first + batch])
        _caught_up(repo)
        figures[f"batch put ({batch}) WAL pages"] = (frames() - start) / len(entries["b"])
        return figures
    finally:
        repo.close()


class _timed:
    """Add `name`'s CPU and clock microseconds per record to `figures`."""

    def __init__(self, figures: dict[str, float], name: str, records: int) -> None:
        self.figures, self.name, self.records = figures, name, records

    def __enter__(self) -> None:
        self.cpu, self.clock = time.process_time(), time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.figures[f"{self.name} CPU"] = (time.process_time() - self.cpu) * 1e6 / self.records
        self.figures[f"{self.name} clock"] = (time.perf_counter() - self.clock) * 1e6 / self.records


class _store:
    """A fresh store of the kind, closed (and its wire server stopped) on exit."""

    def __init__(self, kind: str, tmp: str) -> None:
        self.kind, self.tmp, self.server = kind, tmp, None

    def __enter__(self) -> Any:
        if self.kind == "sqlite":
            from catalogue_core.store.sqlite import SQLiteRepository

            self.repo: Any = SQLiteRepository(Path(self.tmp) / "store.sqlite")
        else:
            sys.path.insert(0, str(ROOT / "tests"))
            from mongo_server import mongo_base_uri, with_database

            from catalogue_core.store.mongo import MongoRepository

            uri, self.server = mongo_base_uri()
            self.repo = MongoRepository(with_database(uri, "dmzpub_store_bench"))
        return self.repo

    def __exit__(self, *exc: object) -> None:
        self.repo.close()
        if self.server is not None:
            self.server.stop()


def baseline(ref: str, kind: str, args: argparse.Namespace) -> dict[str, float]:
    """Return the figures of git ref `ref`'s code, measured by this script in a child process."""
    return dict(measured_at(ref, "store_write", f"measure({kind!r}, {args.records}, {args.batch})"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stores", default="sqlite")
    parser.add_argument("--baseline", default="", help="git ref whose code to measure too, for the speed-up")
    args = parser.parse_args()
    print(f"store write benchmark: {args.records} records each way, best of {args.rounds}, microseconds per record")
    for kind in args.stores.split(","):
        there = (lambda kind=kind: baseline(args.baseline, kind, args)) if args.baseline else None
        figures, old = best_in_turns(args.rounds, lambda kind=kind: measure(kind, args.records, args.batch), there)
        for name, value in figures.items():
            unit = "  " if name.endswith("pages") else "us"  # WAL pages per record (4 KiB each)
            line = f"{kind:6s} {name:30s} {value:8.1f} {unit}"
            if name in old:
                line += f"   {args.baseline}: {old[name]:8.1f} {unit}   speed-up x{old[name] / value:.2f}"
            print(line)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # the app's `landing` package, not bench/landing.py (a baseline child sets its own)
    main()
