"""Landing-page requests/s under gunicorn against a hello-world Flask endpoint served the same way.

Both apps run through `oai_server.gunicorn_app.run` (gthread workers, DMZPUB_WORKERS x
DMZPUB_THREADS, access log on) on loopback ports, one after the other, each measured twice
in alternation; the best round of each is kept. The load generator holds keep-alive
connections from a few threads. Prints requests/s of both and their ratio (target >= 0.66).

Then a crawl, as search engines and DataCite's link checker do: N distinct record pages
(default 10,000, every fifth with staged files), each fetched once, so every page is one the
worker has never rendered (each worker has served another record's page first, as a running
server has). Prints pages/s and the ratio to hello-world (target >= 0.5).

Beside each figure by the clock, the server's CPU per request (gunicorn's master and workers) and
the ratio by CPU: on a loaded machine the clock mostly measures the other load.

    python bench/landing.py [--seconds 5] [--connections 8] [--cold] [--crawl 10000]

--cold also measures with the page cache disabled (every request renders the page).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _server import interpreter, tree_cpu

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

DOI = "10.17199/ess-2025-00042"
SERVE = """
import sys
from flask import Flask
from oai_server.gunicorn_app import run
kind, bind, workers, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if kind == "hello":
    app = Flask("hello")
    app.config["DMZPUB_FORWARDED_ALLOW_IPS"] = []  # the one setting the shared gunicorn options read
    app.add_url_rule("/hello", "hello", lambda: "Hello, World!")
else:
    from oai_server import create_app
    if kind == "cold":  # before create_app(): the app builds its page cache with this size
        from landing import cache
        cache.PAGE_CACHE_SIZE = 0
    app = create_app()
run(app, bind, workers, threads)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(folder: Path) -> dict[str, str]:
    """Push the rich test record and stage its files; return the server's environment."""
    from landing_data import rich_document, stage

    from oai_server import create_app
    from oai_server.store import of as store_of

    env = {
        **os.environ,
        "DMZPUB_DATA_DIR": str(folder / "var"),
        "DMZPUB_DOWNLOAD_DIR": str(folder / "downloads"),
        "DMZPUB_PUSH_TOKENS": "bench-token",
        "DMZPUB_MONGO_URI": "",
    }
    app = create_app({k: v for k, v in env.items() if k.startswith("DMZPUB_")})
    response = app.test_client().put(
        f"/api/v1/published/{DOI}", json=rich_document(), headers={"Authorization": "Bearer bench-token"}
    )
    assert response.status_code in (200, 201), response.data
    store_of(app).close()
    stage(folder / "downloads", DOI)
    return env


class Server:
    """One gunicorn server in a child process."""

    def __init__(self, kind: str, env: dict[str, str], workers: int, threads: int) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVE, kind, f"127.0.0.1:{self.port}", str(workers), str(threads)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait(self, path: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", path)
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit(f"server on port {self.port} did not answer {path}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def load(port: int, path: str, seconds: float, connections: int) -> tuple[int, float]:
    """Return how many requests were answered 200 over keep-alive connections during `seconds`, and the time taken."""
    counts = [0] * connections
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < stop:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{path} answered {response.status}")
            counts[i] += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts), time.monotonic() - started


class Figure:
    """Requests/s by the clock and the server's CPU per request (microseconds) of one measurement."""

    def __init__(self, requests: int, seconds: float, cpu: float) -> None:
        self.rate, self.cpu_us = requests / seconds, cpu / requests * 1e6


def measure(kind: str, path: str, env: dict[str, str], args: argparse.Namespace) -> Figure:
    server = Server(kind, env, args.workers, args.threads)
    try:
        server.wait(path)
        load(server.port, path, 1.0, args.connections)  # warm up every worker and thread
        cpu = tree_cpu(server.process.pid)
        requests, seconds = load(server.port, path, args.seconds, args.connections)
        return Figure(requests, seconds, tree_cpu(server.process.pid) - cpu)
    finally:
        server.stop()


def fill_crawl(env: dict[str, str], count: int) -> list[str]:
    """Publish `count` distinct records (every fifth staged) in the bench's store; return their page paths."""
    import copy

    from landing_data import rich_document, stage

    from catalogue_core.scicat import from_scicat
    from oai_server import create_app
    from oai_server.store import of as store_of

    app = create_app({k: v for k, v in env.items() if k.startswith("DMZPUB_")})
    template = rich_document()
    paths = []
    with app.app_context():
        writer = store_of(app).writer
        for start in range(0, count, 1000):
            docs = []
            for i in range(start, min(start + 1000, count)):
                doc = copy.deepcopy(template)
                doc["doi"] = f"10.17199/crawl-{i:06d}"
                doc["title"] = f"{template['title']} (run {i})"
                docs.append(doc)
                paths.append(f"/doi/{doc['doi']}")
                if i % 5 == 0:
                    stage(env["DMZPUB_DOWNLOAD_DIR"], doc["doi"])
            writer.publish_many([from_scicat(d) for d in docs])
    store_of(app).close()
    return paths


def crawl(port: int, paths: list[str], connections: int) -> float:
    """Fetch every path once over keep-alive connections; return the seconds taken (each must answer 200)."""
    queue = list(reversed(paths))
    lock = threading.Lock()

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if not queue:
                    break
                path = queue.pop()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{path} answered {response.status}")
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - started


def measure_crawl(env: dict[str, str], paths: list[str], args: argparse.Namespace) -> tuple[Figure, Figure]:
    """Return the figures of hello-world and of the crawl, measured one after the other."""
    hello = measure("hello", "/hello", env, args)
    server = Server("landing", env, args.workers, args.threads)
    try:
        warm_up = f"/doi/{DOI}"  # not among the crawled pages: it starts every worker and thread, loads the templates
        server.wait(warm_up)
        load(server.port, warm_up, 1.0, args.connections)
        cpu = tree_cpu(server.process.pid)
        seconds = crawl(server.port, paths, args.connections)
        return hello, Figure(len(paths), seconds, tree_cpu(server.process.pid) - cpu)
    finally:
        server.stop()


def shown(figure: Figure) -> str:
    return f"{figure.rate:8.0f} req/s, server CPU {figure.cpu_us:6.0f} us/request"


def ratio(figure: Figure, hello: Figure) -> str:
    return f"{figure.rate / hello.rate:.2f} by the clock, {hello.cpu_us / figure.cpu_us:.2f} by server CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("DMZPUB_WORKERS", 2)))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("DMZPUB_THREADS", 4)))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cold", action="store_true", help="also measure with the page cache off")
    parser.add_argument("--crawl", type=int, default=10_000, help="distinct pages to crawl once each (0: skip)")
    args = parser.parse_args()
    page = f"/doi/{DOI}"
    kinds = [("hello", "/hello"), ("landing", page)] + ([("cold", page)] if args.cold else [])
    rounds: list[tuple[Figure, Figure]] = []
    with tempfile.TemporaryDirectory() as tmp:
        env = prepare(Path(tmp))
        best: dict[str, Figure] = {}
        for _ in range(args.rounds):
            for kind, path in kinds:
                figure = measure(kind, path, env, args)
                if kind not in best or figure.rate > best[kind].rate:
                    best[kind] = figure
        if args.crawl:
            paths = fill_crawl(env, args.crawl)
            # Each round crawls half of the pages: no page is ever fetched twice.
            halves = [paths[: len(paths) // 2], paths[len(paths) // 2 :]]
            rounds = [measure_crawl(env, half, args) for half in halves]
    setup = f"gunicorn gthread, {args.workers} workers x {args.threads} threads, {args.connections} connections"
    print(f"landing bench ({setup}, {args.seconds:g} s x {args.rounds} rounds, best round, {os.cpu_count()} CPUs)")
    print(f"python: {interpreter()}")
    hello = best["hello"]
    print(f"  hello-world  GET /hello      {shown(hello)}")
    print(f"  landing page GET {page}  {shown(best['landing'])}")
    print(f"  ratio landing/hello: {ratio(best['landing'], hello)} (target >= 0.66; warm: one page again and again)")
    if args.cold:
        print(f"  landing page, cache off      {shown(best['cold'])}")
        print(f"  ratio cold/hello:    {ratio(best['cold'], hello)}")
    for i, (hello_then, pages) in enumerate(rounds, 1):
        print(
            f"  crawl {i}: {len(halves[i - 1]):,} distinct pages once each {pages.rate:8.0f} pages/s,"
            f" server CPU {pages.cpu_us:6.0f} us/page; hello-world {hello_then.rate:8.0f} req/s,"
            f" {hello_then.cpu_us:6.0f} us/request; ratio crawl/hello: {ratio(pages, hello_then)} (target >= 0.5)"
        )
    figures = {k: round(v.rate) for k, v in best.items()}
    if rounds:
        figures.update(crawl=round(max(p.rate for _, p in rounds)))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
