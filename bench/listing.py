"""Benchmark: a list page's store read on SQLite, from the listing against from `rendered` (before schema 4), in turns.

Walks a whole ListRecords harvest's pages (keyset order, page of 100) over a store kept by
`bench/harvest.py --keep` (schema 4: its listing laid out), reading each page twice on two
connections: with the store's own SQL (documents from `listing`, sqlite_listing) and with the
SQL of the release before it (documents from `rendered`, joined by key). Prints, per page, the CPU
time, the clock time and the read() calls SQLite made (one per 4 KiB page not in its cache: the
disk-page reads), for both and their ratio. Which read goes first alternates page by page.

    .venv/bin/python bench/listing.py /tmp/dmzpub-bench-XXXX --pages 3000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]
from catalogue_core.store import ListQuery  # noqa: E402
from catalogue_core.store.sqlite import SQLiteRepository  # noqa: E402

# The documents' join of the release before schema 4, for comparison only.
_BEFORE = "LEFT JOIN rendered x ON x.key = r.key AND x.prefix = ?"


def syscalls_read() -> int:
    """Return this process's read() calls so far (SQLite reads a page it does not hold with one pread)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("syscr:"):
            return int(line.split()[1])
    return 0


def timed(repo: SQLiteRepository, sql: str, args: list[object]) -> tuple[list[tuple[object, ...]], float, float, int]:
    calls, cpu, clock = syscalls_read(), time.thread_time(), time.perf_counter()
    cursor = repo._db().cursor()
    cursor.row_factory = None
    rows = cursor.execute(sql, args).fetchall()
    return rows, time.thread_time() - cpu, time.perf_counter() - clock, syscalls_read() - calls


def main() -> None:
    """Walk the pages, print both reads' medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", help="a folder kept by bench/harvest.py --keep (dmzpub.sqlite in it)")
    parser.add_argument("--pages", type=int, default=10_000, help="pages to read (default 10,000)")
    parser.add_argument("--prefix", default="oai_dc")
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args()
    path = Path(args.store) / "dmzpub.sqlite"
    now, before = SQLiteRepository(path), SQLiteRepository(path)
    query = ListQuery(statuses=("public",))
    after = None
    figures: dict[str, list[tuple[float, float, int]]] = {"listing": [], "rendered": []}
    for page in range(args.pages):
        sql, params = now._list_sql("r.key, r.datestamp, r.deleted, r.sets", query, after, args.page_size, args.prefix)
        old_sql = sql.replace(sql[sql.index("LEFT JOIN") : sql.index(" WHERE")], _BEFORE)
        turns = [("listing", now, sql), ("rendered", before, old_sql)]
        results = {}
        for label, repo, text in turns if page % 2 else turns[::-1]:
            rows, cpu, clock, reads = timed(repo, text, params)
            results[label] = rows
            figures[label].append((cpu, clock, reads))
        if results["listing"] != results["rendered"]:
            raise SystemExit(f"page {page}: the two reads differ")
        if len(results["listing"]) < args.page_size:
            break
        after = (results["listing"][-1][1], results["listing"][-1][0])
    print(f"{path}: {len(figures['listing']):,} pages of {args.page_size}, {args.prefix}, identical rows")
    medians = {}
    for label, values in figures.items():
        cpu, clock, reads = (statistics.median(v[i] for v in values) for i in range(3))
        medians[label] = (cpu, clock)
        print(
            f"  documents from {label:9} store read per page: CPU {cpu * 1000:6.3f} ms  clock {clock * 1000:6.3f} ms"
            f"  disk-page reads {reads:6.1f} (median)  mean {statistics.mean(v[2] for v in values):6.1f}"
        )
    cpu_ratio = medians["rendered"][0] / medians["listing"][0]
    clock_ratio = medians["rendered"][1] / medians["listing"][1]
    print(f"  rendered/listing: x{cpu_ratio:.2f} by CPU, x{clock_ratio:.2f} by the clock")
    now.close()
    before.close()


if __name__ == "__main__":
    main()
