"""Print records/s for sequential PUTs and bulk POSTs through gunicorn, on both stores.

Usage: python bench/push.py [--sequential N] [--bulk N] [--batch N] [--stores sqlite,mongo] [--baseline REF]
--baseline REF also runs the code of git commit REF the same way (e.g. 877cd40, the last commit before
the second performance round) and prints the speed-up over it.
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
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _server import checkout_command, dmzpub_server

SHARED = Path(__file__).resolve().parents[2] / "shared" / "examples" / "scicat"
TOKEN = "bench-token"


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


def sequential(base: str, docs: list[dict]) -> float:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    start = time.perf_counter()
    for doc in docs:
        response = session.put(f"{base}/api/v1/published/{doc['doi']}", json=doc, timeout=30)
        assert response.status_code == 201, response.text
    return len(docs) / (time.perf_counter() - start)


def bulk(base: str, docs: list[dict], batch: int) -> float:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    start = time.perf_counter()
    for i in range(0, len(docs), batch):
        response = session.post(f"{base}/api/v1/published", json=docs[i : i + batch], timeout=300)
        assert response.status_code == 200, response.text[:500]
    return len(docs) / (time.perf_counter() - start)


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
                print(f"{label:24s} {code:14s} sequential PUT: {seq:8.1f} records/s   bulk POST: {blk:8.1f} records/s")
            if args.baseline:
                (seq, blk), (old_seq, old_blk) = figures
                speedup = f"sequential x{seq / old_seq:.1f}, bulk x{blk / old_blk:.1f}"
                print(f"{'':24s} speed-up over {args.baseline}: {speedup}")


def measure(kind: str, args: argparse.Namespace, command: list[str] | None) -> tuple[float, float]:
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
