"""Print records/s for sequential PUTs and bulk POSTs through gunicorn, on both stores.

Usage: python bench/push.py [--sequential N] [--bulk N] [--batch N] [--stores sqlite,mongo] [--baseline REF]
--baseline REF also runs the code of git commit REF the same way (e.g. 877cd40, the last commit before
the second performance round) and prints the speed-up over it.
Each figure is given by the clock and per CPU-second the server's processes used (gunicorn's master and
workers, read from /proc): on a loaded machine the first mostly measures the other load, the second not.
MongoDB: DMZPUB_BENCH_MONGO_URI names a real server; otherwise a mongoeco wire server
(Python >= 3.13) is started in this process, which then also pays for the server side.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _server import checkout_command, dmzpub_server, tree_cpu

SHARED = Path(__file__).resolve().parents[2] / "shared" / "examples" / "scicat"
TOKEN = "bench-token"
JSON = {"Content-Type": "application/json"}


def documents(n: int, run: str) -> list[dict]:
    """Return n distinct v4 documents shaped like SciCat's full example."""
    template = json.loads((SHARED / "v4-registered-full.json").read_text())
    out = []
    for i in range(n):
        doc = copy.deepcopy(template)
        doc["doi"] = f"10.5555/bench-{run}-{i:07d}"
        doc["title"] = f"{template['title']} #{i}"
        out.append(doc)
    return out


def sequential(base: str, docs: list[dict]) -> list[str]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    bodies = [json.dumps(doc) for doc in docs]  # encoded up front: the client's CPU is not the server's
    with timed(base, len(docs)) as figures:
        for doc, body in zip(docs, bodies, strict=True):
            response = session.put(f"{base}/api/v1/published/{doc['doi']}", data=body, headers=JSON, timeout=30)
            assert response.status_code == 201, response.text
    return figures


def bulk(base: str, docs: list[dict], batch: int) -> list[str]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    bodies = [json.dumps(docs[i : i + batch]) for i in range(0, len(docs), batch)]
    with timed(base, len(docs)) as figures:
        for body in bodies:
            response = session.post(f"{base}/api/v1/published", data=body, headers=JSON, timeout=300)
            assert response.status_code == 200, response.text[:500]
    return figures


@contextmanager
def timed(base: str, records: int) -> Iterator[list[str]]:
    """Fill the yielded list with records/s by the clock and per CPU-second of the server's processes."""
    figures: list[str] = []
    pid = getattr(base, "pid", None)
    cpu, start = tree_cpu(pid) if pid else 0.0, time.perf_counter()
    yield figures
    wall = time.perf_counter() - start
    used = tree_cpu(pid) - cpu if pid else 0.0
    figures += [f"{records / wall:8.1f} records/s", f"{records / used:8.1f} per server CPU-s" if used else "n/a"]


def store_env(kind: str, tmp: str) -> tuple[dict[str, str], object | None]:
    env = {"DMZPUB_PUSH_TOKENS": TOKEN, "DMZPUB_DATA_DIR": tmp, "DMZPUB_MONGO_URI": ""}
    if kind == "sqlite":
        return env, None
    from mongo_server import mongo_base_uri, with_database

    real = os.environ.get("DMZPUB_BENCH_MONGO_URI")
    if real:
        return {**env, "DMZPUB_MONGO_URI": with_database(real, "dmzpub_bench_" + uuid.uuid4().hex[:8])}, None
    uri, server = mongo_base_uri()
    return {**env, "DMZPUB_MONGO_URI": with_database(uri, "dmzpub_bench")}, server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sequential", type=int, default=1000)
    parser.add_argument("--bulk", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--stores", default="sqlite,mongo")
    parser.add_argument("--baseline", default="", help="git ref whose code to measure too, for the speed-up")
    args = parser.parse_args()
    print(f"push benchmark: {args.sequential} sequential PUTs, {args.bulk} records in bulk POSTs of {args.batch}")
    with tempfile.TemporaryDirectory() as old:
        codes: list[tuple[str, list[str] | None]] = [("this checkout", None)]
        if args.baseline:
            codes.append((args.baseline, checkout_command(args.baseline, Path(old))))
        for kind in args.stores.split(","):
            figures = [measure(kind, args, command) for _, command in codes]
            label = kind if kind == "sqlite" or "DMZPUB_BENCH_MONGO_URI" in os.environ else "mongo (mongoeco wire)"
            for (code, _), (seq, blk) in zip(codes, figures, strict=True):
                print(f"{label:24s} {code:14s} sequential PUT: {seq[0]} ({seq[1]})   bulk POST: {blk[0]} ({blk[1]})")
            if args.baseline:
                (seq, blk), (old_seq, old_blk) = figures
                print(f"{'':24s} speed-up over {args.baseline}: {ratios(seq, old_seq, blk, old_blk)}")


def ratios(seq: list[str], old_seq: list[str], blk: list[str], old_blk: list[str]) -> str:
    """Return the speed-ups by the clock and by the server's CPU time."""

    def x(new: str, old: str) -> str:
        return f"x{float(new.split()[0]) / float(old.split()[0]):.1f}" if "n/a" not in (new, old) else "n/a"

    return (
        f"sequential {x(seq[0], old_seq[0])} by the clock, {x(seq[1], old_seq[1])} per server CPU-s; "
        f"bulk {x(blk[0], old_blk[0])} by the clock, {x(blk[1], old_blk[1])} per server CPU-s"
    )


def measure(kind: str, args: argparse.Namespace, command: list[str] | None) -> tuple[list[str], list[str]]:
    """Return sequential and bulk records/s of one server on a fresh store."""
    with tempfile.TemporaryDirectory() as tmp:
        env, server = store_env(kind, tmp)
        try:
            with dmzpub_server(env, command=command) as base:
                run = uuid.uuid4().hex[:6]
                seq = sequential(base, documents(args.sequential, run + "s"))
                blk = bulk(base, documents(args.bulk, run + "b"), args.batch)
        finally:
            if server is not None:
                server.stop()
    return seq, blk


if __name__ == "__main__":
    main()
