"""Hostile load through the production nginx.conf (HTTPS): does the site still answer?

Fills a SQLite store with N records (default 100,000), stages one dataset, starts `dmzpub serve`
behind real nginx (deploy/nginx.conf, self-signed TLS, loopback only) and, all at once for
--seconds (default 60):

- 64 clients open the dataset's ZIP and stop reading after the first bytes;
- 500 slowloris connections each send part of a request head, a byte now and then, reconnecting
  when dropped;
- 16 clients flood worst-case searches (`/?q=` matching every record) and sitemaps;
- a prober fetches /healthz, a landing page and an OAI ListRecords page in turn.

The attackers use their own loopback addresses (127.0.1.x, 127.0.2.x, 127.0.3.x), the prober
127.0.0.1, as distinct clients would; each kind runs in its own process, so the prober's
timings are not those of a busy interpreter. Prints the share of probes answered 200 and p99.
Stops by itself; everything it starts is stopped at the end.

    .venv/bin/python bench/hostile.py                  # 100,000 records, 60 s
    .venv/bin/python bench/hostile.py --records 10000 --seconds 20
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import socket
import ssl
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]
from download_helpers import gunicorn, make_dataset, nginx, random_bytes  # noqa: E402
from harvest import fill  # noqa: E402

from catalogue_core.store import schema  # noqa: E402
from catalogue_core.store.sqlite import SQLiteRepository  # noqa: E402
from catalogue_core.urls import zip_path  # noqa: E402
from download_cache.open_target import open_target  # noqa: E402
from download_cache.sources import Source  # noqa: E402
from download_cache.stage import Stager  # noqa: E402

DOI_KEY = "10.99999/bench-00000000"
_TLS = ssl.create_default_context()
_TLS.check_hostname, _TLS.verify_mode = False, ssl.CERT_NONE


def connect(port: int, source: str, timeout: float = 10.0) -> ssl.SSLSocket:
    """Open a TLS connection to nginx from a given loopback address."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0))
    return _TLS.wrap_socket(raw)


def fetch(port: int, source: str, path: str, timeout: float = 10.0) -> int:
    """GET a path (Connection: close), read the whole answer; return the status (0 on failure)."""
    try:
        with connect(port, source, timeout) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            head = sock.recv(4096)
            while sock.recv(1 << 16):
                pass
            return int(head[9:12])
    except (OSError, ValueError):
        return 0


class Load:
    """Attackers and prober sharing a stop time and counters."""

    def __init__(self, port: int, seconds: float) -> None:
        self.port = port
        self.stop_at = time.monotonic() + seconds
        self.counts: dict[str, collections.Counter[int]] = collections.defaultdict(collections.Counter)
        self.probes: list[tuple[int, float, str]] = []
        self.lock = threading.Lock()

    def running(self) -> bool:
        return time.monotonic() < self.stop_at

    def count(self, kind: str, status: int) -> None:
        with self.lock:
            self.counts[kind][status] += 1

    def slow_zip(self, source: str) -> None:
        while self.running():
            try:
                with connect(self.port, source) as sock:
                    sock.sendall(f"GET {zip_path(DOI_KEY)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
                    self.count("slow ZIP reader", int(sock.recv(1024)[9:12]))
                    while self.running():  # read nothing more
                        time.sleep(0.5)
            except (OSError, ValueError):
                self.count("slow ZIP reader", 0)
                time.sleep(0.5)

    def slowloris(self, source: str) -> None:
        while self.running():
            try:
                with connect(self.port, source) as sock:
                    sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                    self.count("slowloris", 1)
                    while self.running():
                        time.sleep(2)
                        sock.sendall(b"X-a: b\r\n")
            except OSError:
                self.count("slowloris dropped", 1)
                time.sleep(0.2)

    def flood(self, source: str, paths: list[str]) -> None:
        i = 0
        while self.running():
            path = paths[i % len(paths)]
            kind = "flood search" if path.startswith("/?") else "flood sitemap"
            self.count(kind, fetch(self.port, source, path, timeout=30))
            i += 1

    def probe(self, paths: list[str]) -> None:
        i = 0
        while self.running():
            started = time.monotonic()
            path = paths[i % len(paths)]
            status = fetch(self.port, "127.0.0.1", path, timeout=10)
            with self.lock:
                self.probes.append((status, time.monotonic() - started, path))
            i += 1
            time.sleep(max(0.0, 0.2 - (time.monotonic() - started)))


def start(target: Callable[..., None], *args: object) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def _group(kind: str, port: int, seconds: float, results: multiprocessing.Queue) -> None:
    """Run one kind of client, many threads in this process; put its counters on the queue."""
    load = Load(port, seconds)
    worst = "/?q=" + "+".join(["data", "a", "b", "c", "d", "e", "f", "g"])
    sitemaps = ["/sitemap.xml", "/sitemap-records.xml?after=10.99999/bench-00050000"]
    if kind == "zip":
        threads = [start(load.slow_zip, f"127.0.2.{1 + i % 4}") for i in range(64)]
    elif kind == "slowloris":
        threads = [start(load.slowloris, f"127.0.3.{1 + i % 50}") for i in range(500)]
    elif kind == "flood":
        threads = [start(load.flood, f"127.0.1.{1 + i}", [worst, *sitemaps]) for i in range(16)]
    else:
        oai = "/oai?verb=ListRecords&metadataPrefix=oai_dc"
        threads = [start(load.probe, ["/healthz", f"/doi/{DOI_KEY}", oai])]
    for thread in threads:
        thread.join(seconds + 60)
    results.put((dict(load.counts), load.probes))


def run(port: int, seconds: float, attackers: tuple[str, ...]) -> None:
    results: multiprocessing.Queue = multiprocessing.Queue()
    kinds = (*attackers, "probe")
    procs = [multiprocessing.Process(target=_group, args=(k, port, seconds, results)) for k in kinds]
    for proc in procs:
        proc.start()
    counts: dict[str, collections.Counter[int]] = {}
    probes: list[tuple[int, float, str]] = []
    for _ in procs:
        got_counts, got_probes = results.get(timeout=seconds + 120)
        counts.update(got_counts)
        probes += got_probes
    for proc in procs:
        proc.join(30)
    report(counts, probes)


def report(counts: dict[str, collections.Counter[int]], probes: list[tuple[int, float, str]]) -> None:
    print("attackers (status: count; 0 = no answer):")
    for kind, counter in sorted(counts.items()):
        print(f"  {kind:18} " + ", ".join(f"{s}: {n}" for s, n in sorted(counter.items())))
    # Per probed path, so a miss says what waited (the app's store, a worker, nginx).
    for path in sorted({p for _, _, p in probes}):
        mine = [(s, t) for s, t, p in probes if p == path]
        statuses = collections.Counter(s for s, _ in mine)
        slowest = max(t for _, t in mine)
        print(f"  probe {path[:40]:40} " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())), end="")
        print(f"; slowest {slowest * 1000:.0f} ms")
    ok = [t for s, t, _ in probes if s == 200]
    share = 100 * len(ok) / max(1, len(probes))
    p99 = statistics.quantiles(ok, n=100)[98] if len(ok) >= 2 else float("nan")
    p50 = statistics.median(ok) if ok else float("nan")
    print(f"probes: {len(probes)}, answered 200: {share:.1f} %, p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
    print(f"target: >= 99 % answered, p99 < 1000 ms -> {'met' if share >= 99 and p99 < 1 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--attackers", default="zip,slowloris,flood", help="which attackers run (default: all)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dmzpub-hostile-") as tmp_name:
        tmp = Path(tmp_name)
        store = SQLiteRepository(tmp / "var" / "dmzpub.sqlite")
        schema.check(store)  # stamp the new store as the server would, or the server refuses it
        print(f"filling {args.records:,} records")
        fill(store, args.records)
        store.close()
        (tmp / "area").mkdir()
        make_dataset(tmp / "src", {f"part-{i}.bin": random_bytes(8_000_000, i) for i in range(4)})
        Stager(open_target(str(tmp / "area"))).stage(DOI_KEY, Source(str(tmp / "src")))
        settings = {"DMZPUB_DOWNLOAD_ACCEL": "nginx", "DMZPUB_PROXY_COUNT": "1", "DMZPUB_PUSH_TOKENS": "bench"}
        with (
            gunicorn(tmp, startup=180.0, **settings) as app,
            # One nginx worker per core, as `worker_processes auto` (Debian's default) runs in production.
            nginx(tmp / "nginx", int(app["port"]), tmp / "area", connections=4096, workers="auto") as web,
        ):
            print(f"nginx https://127.0.0.1:{web['port']} -> gunicorn (2 workers x 4 threads); {args.seconds:g} s of:")
            print("  64 slow ZIP readers, 500 slowloris, 16 flooders (searches, sitemaps), 1 prober")
            run(int(web["port"]), args.seconds, tuple(a for a in args.attackers.split(",") if a))


if __name__ == "__main__":
    main()
