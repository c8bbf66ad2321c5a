"""Print how long `dmzpub reindex` takes over N records on SQLite (all re-rendered, none changed), and records/s.

Usage: python bench/reindex.py [--records N] [--baseline REF]
Each code seeds its own store through its record writer (the same distinct v4 documents shaped like
SciCat's full example; store layouts differ between releases); `dmzpub reindex` then runs as its own
process, as an operator runs it. --baseline REF also times the reindex of git commit REF and prints the speed-up.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# bench/landing.py would shadow the `landing` package the DMZ app imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench._server import checkout_command, interpreter  # noqa: E402

BENCH = ROOT / "bench"  # bench/_records.py, on the seeding child's path after the code
TEMPLATE = ROOT.parent / "shared" / "examples" / "scicat" / "v4-registered-full.json"
# Run by the code being measured (its store layout may differ from other releases'): argv is folder, count, template.
SEED = """
import json, sys
from pathlib import Path
from _records import varied
from catalogue_core.scicat import from_scicat
from catalogue_core.store.sqlite import SQLiteRepository
folder, n, template = Path(sys.argv[1]), int(sys.argv[2]), json.loads(Path(sys.argv[3]).read_text())
store = SQLiteRepository(folder / "dmzpub.sqlite")
try:
    from catalogue_core.record_writer import RecordWriter
    from catalogue_core.store import schema
except ImportError:  # a release before schema versions (877cd40, the issue's baseline): its writer was Publisher
    from catalogue_core.publishing import Publisher as RecordWriter
else:
    schema.check(store)  # stamps the new store's schema version, as the app does
writer = RecordWriter(store)
for start in range(0, n, 1000):
    records = []
    for i in range(start, min(n, start + 1000)):
        records.append(from_scicat(varied(template, i, "10.5555/reindex-")))
    writer.publish_many(records)
"""


def seed(data_dir: Path, n: int, code: Path | None) -> float:
    """Write n distinct records into a new SQLite store in data_dir with the code of folder `code`; return seconds."""
    data_dir.mkdir()
    if code is None:
        python = [sys.executable, "-c", f"import sys; sys.path[:0] = [{str(ROOT)!r}, {str(BENCH)!r}]\n{SEED}"]
    else:  # an exported tree first on the path, without the editable install's hook (see checkout_command)
        site = next(p for p in sys.path if p.endswith("site-packages"))
        path = f"import sys; sys.path[:0] = [{str(code)!r}, {site!r}, {str(BENCH)!r}]"
        python = [sys.executable, "-S", "-c", f"{path}\n{SEED}"]
    start = time.perf_counter()
    subprocess.run([*python, str(data_dir), str(n), str(TEMPLATE)], check=True, cwd=code or ROOT)
    return time.perf_counter() - start


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
        runs = [("this checkout", [sys.executable, "-c", "from oai_server.cli import main; main()"], None)]
        if args.baseline:
            (Path(tmp) / "old").mkdir()
            runs.append((args.baseline, checkout_command(args.baseline, Path(tmp) / "old"), Path(tmp) / "old"))
        stores = [Path(tmp) / f"store{i}" for i in range(len(runs))]
        took = [seed(store, args.records, code) for store, (_, _, code) in zip(stores, runs, strict=True)]
        seeded = ", ".join(f"{t:.0f} s" for t in took)
        print(f"reindex benchmark: {args.records} records on SQLite (each code seeded its own store: {seeded})")
        print(f"python: {interpreter()}")
        seconds, cpus = [], []
        for (label, command, _), data_dir in zip(runs, stores, strict=True):
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
