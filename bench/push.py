"""Print records/s for sequential PUTs and bulk POSTs through gunicorn, on both stores.

Usage: python bench/push.py [--sequential N] [--bulk N] [--batch N] [--stores sqlite,mongo]
       [--baseline REF [--rounds N]]
--baseline REF also runs the code of git commit REF the same way (e.g. 877cd40, the last commit before
the second performance round) and prints the speed-up over it; --rounds N measures N such pairs, in
alternating order, and prints each speed-up's median.
Each figure is given by the clock and per CPU-second the server's processes used (gunicorn's master and
workers, read from /proc): on a loaded machine the first mostly measures the other load, the second not.
The client is a lean keep-alive http.client connection whose own CPU per request is printed too: in a
sequential run it is on the clock. The sequential records are PUT a second time, unchanged (a sync's
resend). The bulk records go in POSTs of --batch, twice, on distinct DOIs: over one connection, a
POST after the other, and over 2 connections at once, as the publisher delivers by default (its
concurrency 2), so that both gunicorn workers can work. The bulk rows also print each worker's share
of the server's CPU and, on SQLite, how many writes waited for the store's write lock and how long,
and how much of the run the lock was held (bench/_locks.py). The FLOOR row sends the same requests
through the same client and gunicorn set-up (dmzpub's worker class) to a WSGI app that only reads
the body and answers: what this machine allows before dmzpub does anything.
MongoDB: DMZPUB_BENCH_MONGO_URI names a real server; otherwise a mongoeco wire server
(Python >= 3.13) is started in this process, which then also pays for the server side.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _locks import read_times, timed_command
from _records import varied
from _server import ServerURL, checkout_command, children_cpu, dmzpub_server, interpreter, tree_cpu
from stack import Served

SHARED = Path(__file__).resolve().parents[2] / "shared" / "examples" / "scicat"
TOKEN = "bench-token"
JSON = {"Content-Type": "application/json"}
# One server's printed figures: sequential, bulk on one connection, bulk on 2 at once, unchanged re-PUT.
Figures = tuple[list[str], list[str], list[str], list[str]]


def documents(n: int, run: str) -> list[dict]:
    """Return n distinct v4 documents shaped like SciCat's full example."""
    template = json.loads((SHARED / "v4-registered-full.json").read_text())
    out = []
    for i in range(n):
        out.append(varied(template, i, f"10.5555/bench-{run}-"))
    return out


class Client:
    """One keep-alive connection sending the pusher's requests (http.client: requests took ~2 ms of CPU a call)."""

    def __init__(self, base: str) -> None:
        url = urlsplit(base)
        self.connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=300)
        self.headers = {"Authorization": f"Bearer {TOKEN}", **JSON}

    def send(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        """Send one request (Content-Length set from the body); return the status and the body answered."""
        self.connection.request(method, path, body=body, headers=self.headers)
        response = self.connection.getresponse()
        return response.status, response.read()


def sequential(base: str, docs: list[dict], expect: int = 201) -> list[str]:
    client = Client(base)
    # Encoded up front: the client's CPU is not the server's.
    requests = [(f"/api/v1/published/{doc['doi']}", json.dumps(doc).encode()) for doc in docs]
    with timed(base, len(docs), len(requests)) as figures:
        for path, body in requests:
            status, answer = client.send("PUT", path, body)
            assert status == expect, answer
    return figures


def bulk(base: str, docs: list[dict], batch: int, connections: int = 1) -> list[str]:
    """Send the documents in POSTs of `batch`, over `connections` keep-alive connections at once."""
    bodies = [json.dumps(docs[i : i + batch]).encode() for i in range(0, len(docs), batch)]
    shares = [bodies[i::connections] for i in range(connections)]
    clients = [Client(base) for _ in shares]
    with ThreadPoolExecutor(connections) as pool, timed(base, len(docs), len(bodies)) as figures:
        spent = [pool.submit(post_all, client, share) for client, share in zip(clients, shares, strict=True)]
        figures.append(sum(future.result() for future in spent))  # the client's CPU: the senders' threads
    return figures


def post_all(client: Client, bodies: list[bytes]) -> float:
    """POST the bodies one after another, checking each answer; return this thread's CPU seconds."""
    start = time.thread_time()
    for body in bodies:
        status, answer = client.send("POST", "/api/v1/published", body)
        assert status == 200, answer[:500]
    return time.thread_time() - start


@contextmanager
def timed(base: str, records: int, requests: int) -> Iterator[list]:
    """Fill the yielded list with records/s by the clock and per CPU-second of the server's processes, the client's
    CPU per request and each worker's share of the server's CPU; a block sending from other threads appends their
    CPU seconds to the list."""
    figures: list = []
    pid = getattr(base, "pid", None)
    before = children_cpu(pid) if pid else {}
    cpu, start, client = tree_cpu(pid) if pid else 0.0, time.perf_counter(), time.thread_time()
    yield figures
    wall = time.perf_counter() - start
    spent = figures.pop() if figures else time.thread_time() - client
    used = tree_cpu(pid) - cpu if pid else 0.0
    after = children_cpu(pid) if pid else {}
    shares = sorted((seconds - before.get(child, 0.0) for child, seconds in after.items()), reverse=True)
    figures += [
        f"{records / wall:8.1f} records/s",
        f"{records / used:8.1f} per server CPU-s" if used else "n/a",
        f"client {spent / requests * 1e3:.2f} ms CPU/request",
        ("workers' CPU " + "/".join(f"{100 * w / used:.0f}" for w in shares) + " %") if used else "",
    ]


def floor(args: argparse.Namespace) -> tuple[list[str], list[str], list[str]]:
    """Return the figures of the same requests sent to a WSGI app that reads each body and answers (bench/stack.py)."""
    spec = {"workers": 2, "threads": 4, "worker": "dmzpub", "off": [], "app": "sink"}
    with Served(spec, dict(os.environ)) as served:
        base = ServerURL(f"http://127.0.0.1:{served.port}")
        base.pid = served.process.pid
        run = uuid.uuid4().hex[:6]
        return (
            sequential(base, documents(args.sequential, run + "s")),
            bulk(base, documents(args.bulk, run + "b"), args.batch),
            bulk(base, documents(args.bulk, run + "c"), args.batch, 2),
        )


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
    parser.add_argument("--rounds", type=int, default=1, help="pairs of --baseline runs, in alternating order")
    args = parser.parse_args()
    print(f"push benchmark: {args.sequential} sequential PUTs, {args.bulk} records in bulk POSTs of {args.batch}")
    print(f"python: {interpreter()}")
    with tempfile.TemporaryDirectory() as old:
        codes: list[tuple[str, list[str] | None]] = [("this checkout", None)]
        if args.baseline:
            codes.append((args.baseline, checkout_command(args.baseline, Path(old))))
        for kind in args.stores.split(","):
            label = kind if kind == "sqlite" or "DMZPUB_BENCH_MONGO_URI" in os.environ else "mongo (mongoeco wire)"
            found: list[dict[str, tuple[float, float]]] = []
            for turn in range(args.rounds if args.baseline else 1):
                order = codes if turn % 2 == 0 else codes[::-1]  # a machine speeding up or slowing down favours neither
                figures = {code: measure(kind, args, command) for code, command in order}
                for code, _ in codes:
                    seq, blk, two, again = figures[code]
                    print(row(label, code, seq, blk, two))
                    print(f"{label:24s} {code:15s} unchanged re-PUT: {again[0]} ({again[1]}; {again[2]})")
                if args.baseline:
                    (seq, blk, two, again), (old_seq, old_blk, old_two, old_again) = (figures[c] for c, _ in codes)
                    print(f"{'':24s} speed-up over {args.baseline}: {ratios(seq, old_seq, blk, old_blk)}")
                    print(f"{'':24s} bulk on 2 connections {speedup(two, old_two)}")
                    print(f"{'':24s} unchanged re-PUT {speedup(again, old_again)}")
                    found.append(gains(figures["this checkout"], figures[args.baseline]))
            if len(found) > 1:
                print(f"{'':24s} median speed-ups over {args.baseline}, {len(found)} rounds in alternating order:")
                for name in found[0]:
                    clock, cpu = (statistics.median(round_[name][i] for round_ in found) for i in (0, 1))
                    each = ", ".join(times(round_[name][0]) for round_ in found)
                    print(f"{'':26s} {name}: {times(clock)} by the clock ({each}), {times(cpu)} per server CPU-s")
        print(row("FLOOR", "read+answer app", *floor(args)))


def row(label: str, code: str, seq: list[str], blk: list[str], two: list[str]) -> str:
    """Return the printed lines of one server: sequential and bulk on one connection, then bulk on 2 at once."""

    def figures(run: list[str]) -> str:
        return f"{run[0]} ({'; '.join(filter(None, run[1:4]))})"

    return (
        f"{label:24s} {code:15s} sequential PUT: {figures(seq)}   bulk POST: {figures(blk)}\n"
        + (f"{'':24s} {'':15s} SQLite write lock, bulk on one connection: {blk[4]}\n" if blk[4:] else "")
        + f"{label:24s} {code:15s} bulk POST on 2 connections at once (as the publisher delivers): {figures(two)}"
        + (f"\n{'':24s} {'':15s} SQLite write lock, bulk on 2 connections: {two[4]}" if two[4:] else "")
    )


def ratios(seq: list[str], old_seq: list[str], blk: list[str], old_blk: list[str]) -> str:
    """Return the speed-ups by the clock and by the server's CPU time."""
    return f"sequential {speedup(seq, old_seq)}; bulk {speedup(blk, old_blk)}"


def speedup(new: list[str], old: list[str]) -> str:
    """Return one speed-up by the clock and per server CPU-second."""

    return f"{times(ratio(new[0], old[0]))} by the clock, {times(ratio(new[1], old[1]))} per server CPU-s"


def times(found: float) -> str:
    """Return a speed-up as printed ("x3.1"), n/a when either figure was."""
    return "n/a" if math.isnan(found) else f"x{found:.1f}"


def ratio(new: str, old: str) -> float:
    """Return the ratio of two printed figures ("  1234.5 records/s"), NaN when either is n/a."""
    return float(new.split()[0]) / float(old.split()[0]) if "n/a" not in (new, old) else float("nan")


RUNS = ("sequential PUT", "bulk POST", "bulk POST on 2 connections", "unchanged re-PUT")


def gains(new: Figures, old: Figures) -> dict[str, tuple[float, float]]:
    """Return each run's speed-up of `new` over `old`, by the clock and per server CPU-second."""
    return {name: (ratio(n[0], o[0]), ratio(n[1], o[1])) for name, n, o in zip(RUNS, new, old, strict=True)}


def measure(kind: str, args: argparse.Namespace, command: list[str] | None) -> Figures:
    """Return sequential, bulk (one connection, then 2) and unchanged re-PUT records/s of one server, fresh store."""
    with tempfile.TemporaryDirectory() as tmp:
        env, server = store_env(kind, tmp)
        log = Path(tmp) / "locks.log"
        try:
            with dmzpub_server(env, command=timed_command(command, log) if kind == "sqlite" else command) as base:
                run = uuid.uuid4().hex[:6]
                seq = sequential(base, documents(args.sequential, run + "s"))
                seen = read_times(log)[1]
                blk = bulk(base, documents(args.bulk, run + "b"), args.batch)
                times, seen = read_times(log, seen)
                two = bulk(base, documents(args.bulk, run + "c"), args.batch, 2)
                if kind == "sqlite":  # the lock's figures, after each run's own: its wall time from records/s
                    blk.append(times.line(args.bulk / float(blk[0].split()[0])))
                    two.append(read_times(log, seen)[0].line(args.bulk / float(two[0].split()[0])))
                again = sequential(base, documents(args.sequential, run + "s"), 200)  # a sync's resend
        finally:
            if server is not None:
                server.stop()
    return seq, blk, two, again


if __name__ == "__main__":
    main()
