"""Print how long `dmzpub reindex` takes over N records on SQLite (all re-rendered, none changed), and records/s.

Usage: python bench/reindex.py [--records N] [--baseline REF]
The store is seeded once through the push API's record writer (distinct v4 documents shaped like
SciCat's full example); `dmzpub reindex` then runs as its own process, as an operator runs it.
--baseline REF also runs the reindex of git commit REF on a copy of the same store and prints the speed-up.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# bench/landing.py would shadow the `landing` package the DMZ app imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench._server import checkout_command  # noqa: E402
from catalogue_core.record_writer import RecordWriter  # noqa: E402
from catalogue_core.scicat import from_scicat  # noqa: E402
from catalogue_core.store import schema  # noqa: E402
from catalogue_core.store.sqlite import SQLiteRepository  # noqa: E402

TEMPLATE = ROOT.parent / "shared" / "examples" / "scicat" / "v4-registered-full.json"


def seed(data_dir: Path, n: int) -> None:
    """Write n distinct records into the SQLite store of data_dir, a thousand per transaction."""
    template = json.loads(TEMPLATE.read_text())
    store = SQLiteRepository(data_dir / "dmzpub.sqlite")
    schema.check(store)  # stamps the new store's schema version, as the app does
    writer = RecordWriter(store)
    for start in range(0, n, 1000):
        records = []
        for i in range(start, min(n, start + 1000)):
            doc = copy.deepcopy(template)
            doc["doi"], doc["title"] = f"10.5555/reindex-{i:07d}", f"{template['title']} #{i}"
            records.append(from_scicat(doc))
        writer.publish_many(records)


def reindex(data_dir: Path, command: list[str]) -> tuple[float, float, str]:
    """Run `reindex` on the store of data_dir; return the seconds it took, its CPU seconds and what it printed."""
    env = {**os.environ, "DMZPUB_DATA_DIR": str(data_dir), "DMZPUB_MONGO_URI": "", "DMZPUB_PUSH_TOKENS": "bench"}
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run([*command, "reindex"], env=env, capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"reindex failed: {done.stderr[-2000:]}")
    return time.perf_counter() - start, _children_cpu() - cpu, done.stdout.strip()


def _children_cpu() -> float:
    # CPU time is what a loaded machine does not distort much; the clock mostly measures the other load.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--baseline", default="", help="git ref whose reindex to time too, for the speed-up")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        store.mkdir()
        start = time.perf_counter()
        seed(store, args.records)
        print(f"reindex benchmark: {args.records} records on SQLite (seeded in {time.perf_counter() - start:.0f} s)")
        runs = [("this checkout", [sys.executable, "-c", "from oai_server.cli import main; main()"], store)]
        if args.baseline:
            (Path(tmp) / "old").mkdir()
            shutil.copytree(store, Path(tmp) / "copy")
            runs.append((args.baseline, checkout_command(args.baseline, Path(tmp) / "old"), Path(tmp) / "copy"))
        seconds, cpus = [], []
        for label, command, data_dir in runs:
            took, cpu, said = reindex(data_dir, command)
            seconds.append(took)
            cpus.append(cpu)
            rate = args.records / took
            print(f"{label:14s} reindex: {took:7.1f} s ({cpu:7.1f} CPU-s)  {rate:8.1f} records/s   ({said})")
        if args.baseline:
            print(
                f"{'':14s} speed-up over {args.baseline}: x{seconds[1] / seconds[0]:.1f} by the clock,"
                f" x{cpus[1] / cpus[0]:.1f} in CPU time"
            )


if __name__ == "__main__":
    main()
