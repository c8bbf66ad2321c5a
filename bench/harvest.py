"""Benchmark: a full ListRecords harvest per format over HTTP through gunicorn, against `oai-repo`.

Fills a fresh store with N records (default 20,000; on SQLite the first 5,000 through the store's
write path, the rest copied in SQL under new DOIs by bench/_bulk_fill.py, so a million take
minutes), starts `dmzpub serve` on a free loopback
port, harvests every record in each format following resumption tokens, and prints records/s,
the latency of the first, middle and last pages and the RSS of each gunicorn worker. Then it
serves a copy of the same records, pre-rendered, from SQLite through the `oai-repo` library
(bench/_oai_repo_app.py, same gunicorn settings), harvests both with the same client, taking
turns page by page, and prints both figures and their ratio (target >= 3). The client is
http.client with keep-alive, and its own CPU per page is printed: both sides pay it alike.

    .venv/bin/python bench/harvest.py                       # SQLite, 20,000 records, with oai-repo
    .venv/bin/python bench/harvest.py --records 1000000 --no-compare --encodings identity --formats oai_dc
    .venv/bin/python bench/harvest.py --store mongo         # MongoDB wire server (mongoeco)
    .venv/bin/python bench/harvest.py --no-compare --baseline da43307   # against older code, same store
"""

from __future__ import annotations

import argparse
import copy
import gzip
import hashlib
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]
from _bulk_fill import replicate  # noqa: E402
from _oai_repo_app import copy_records  # noqa: E402
from _server import checkout_command, dmzpub_server, free_port, interpreter  # noqa: E402

from catalogue_core.crosswalks import RenderContext  # noqa: E402
from catalogue_core.record_writer import RecordWriter  # noqa: E402
from catalogue_core.scicat import from_scicat  # noqa: E402
from catalogue_core.store import (  # noqa: E402
    Entry,
    Repository,
    open_store,
    schema,
)
from catalogue_core.store.sqlite import SQLiteRepository  # noqa: E402

EXAMPLES = Path(os.environ.get("DMZPUB_SHARED_DIR") or ROOT.parent / "shared") / "examples" / "scicat"
FORMATS = ("oai_dc", "oai_datacite", "datacite")
BASE_URL = "https://doi.example.org"
REPEATS = 9
SEED = 5_000  # records written through the store's write path; the rest are SQL copies (SQLite)
TOKEN_RE = re.compile(rb"<resumptionToken[^>]*>([^<]*)</resumptionToken>")


def templates() -> list[Entry]:
    """Render a few realistic records once; the fill substitutes their DOIs."""
    docs = [json.loads((EXAMPLES / n).read_text()) for n in ("v4-registered-full.json", "v3-registered-full.json")]
    minimal = json.loads((EXAMPLES / "v4-public-minimal.json").read_text())
    for year, kind in ((2019, "Software"), (2023, "Dataset")):
        doc = copy.deepcopy(minimal)
        doc["metadata"].update(publicationYear=year, resourceTypeGeneral=kind)
        doc["status"] = "registered"  # harvested (DMZPUB_HARVEST_STATUSES), as every record of the fill
        docs.append(doc)
    publisher = RecordWriter(SQLiteRepository(":memory:"), RenderContext(BASE_URL))
    return [publisher.entry(from_scicat(doc)) for doc in docs]


def variant(template: Entry, i: int) -> Entry:
    """Return the template under a new DOI, its fragments rewritten by string substitution."""
    doi = f"10.99999/BENCH-{i:08d}"
    old_doi, old_key, key = template.doi, template.key, doi.lower()
    rendered = {p: x.replace(old_doi, doi).replace(old_key, key) for p, x in template.rendered.items()}
    digest = hashlib.sha256(f"{template.content_hash}{i}".encode()).hexdigest()
    return replace(template, key=key, doi=doi, content_hash="sha256:" + digest, rendered=rendered)


def fill(store: Repository, count: int, batch: int = 5000) -> float:
    """Write `count` records in big batches; return the seconds taken."""
    base = templates()
    started = time.perf_counter()
    for start in range(0, count, batch):
        store.put([variant(base[i % len(base)], i) for i in range(start, min(start + batch, count))])
        print(f"\r  filled {min(start + batch, count):,}/{count:,}", end="", flush=True)
    print()
    return time.perf_counter() - started


class Client:
    """A keep-alive HTTP/1.1 client on http.client, the same for both servers.

    `requests` spent ~3 ms of CPU per 150 KB page here (against ~1 ms for http.client), which
    slowed both sides' harvests alike and pulled their ratio towards 1; the client is not what
    the bench measures.
    """

    def __init__(self, url: str, encoding: str) -> None:
        parts = urlsplit(url)
        self.path, self.encoding = parts.path, encoding
        self.connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)

    def get(self, params: dict[str, str]) -> tuple[int, bytes]:
        """Return the status and the (decompressed) body of one GET."""
        self.connection.request("GET", f"{self.path}?{urlencode(params)}", headers={"Accept-Encoding": self.encoding})
        response = self.connection.getresponse()
        body = response.read()
        coding = response.getheader("Content-Encoding")
        if coding == "gzip":
            body = gzip.decompress(body)
        elif coding == "deflate":
            body = zlib.decompress(body)
        return response.status, body


class Walk:
    """One ListRecords list harvested a page at a time (two walks can take turns page by page)."""

    def __init__(self, url: str, prefix: str, encoding: str) -> None:
        self.client = Client(url, encoding)
        self.params: dict[str, str] = {"verb": "ListRecords", "metadataPrefix": prefix}
        self.latencies: list[float] = []
        self.requests: list[dict[str, str]] = []
        self.records, self.seconds, self.cpu, self.done = 0, 0.0, 0.0, False

    def step(self) -> None:
        """Fetch the next page and follow its token; `seconds` and `cpu` add up the client's whole turn."""
        started, cpu = time.perf_counter(), time.process_time()
        status, body = self.client.get(self.params)
        self.latencies.append(time.perf_counter() - started)
        self.requests.append(self.params)
        if status != 200 or b"<error" in body[:2000]:
            raise SystemExit(f"harvest failed: HTTP {status} {body[:500]!r}")
        self.records += body.count(b"<record>")
        match = TOKEN_RE.search(body, max(0, len(body) - 2000))
        if match and match.group(1):
            self.params = {"verb": "ListRecords", "resumptionToken": match.group(1).decode()}
        else:
            self.done = True
        self.seconds += time.perf_counter() - started
        self.cpu += time.process_time() - cpu

    def result(self) -> dict[str, Any]:
        """Return counts, per-page latencies and the client's CPU seconds."""
        return {"records": self.records, "seconds": self.seconds, "latencies": self.latencies, "client_cpu": self.cpu}


def harvest(url: str, prefix: str, encoding: str) -> dict[str, Any]:
    """Harvest a whole ListRecords list, then re-fetch its first, middle and last pages."""
    walk = Walk(url, prefix, encoding)
    while not walk.done:
        walk.step()
    # Single pages are noisy on a shared machine; tokens are re-issuable, so fetch the first,
    # middle and last page again a few times each and keep the median.
    again = {}
    for name, index in (("first", 0), ("middle", len(walk.requests) // 2), ("last", len(walk.requests) - 1)):
        timings = []
        for _ in range(REPEATS):
            sent = time.perf_counter()
            walk.client.get(walk.requests[index])
            timings.append(time.perf_counter() - sent)
        again[name] = statistics.median(timings)
    walk.client.connection.close()
    return {**walk.result(), "again": again}


def report(prefix: str, encoding: str, result: dict[str, Any], cpu: float) -> None:
    """Print one harvest's figures; `cpu`: the seconds the server's workers spent on it."""
    lat, again = result["latencies"], result["again"]
    ms = {name: value * 1000 for name, value in again.items()}
    p99 = statistics.quantiles(lat, n=100)[98] * 1000
    print(
        f"{prefix:13} {encoding:8} {result['records']:>9,} records {len(lat):>6,} pages "
        f"{result['seconds']:6.1f} s {result['records'] / result['seconds']:>7,.0f} records/s; "
        f"server CPU {cpu / (len(lat) + 3 * REPEATS) * 1000:.2f} ms/page, client CPU "
        f"{result['client_cpu'] / len(lat) * 1000:.2f} ms/page"
    )
    print(
        f"{'':23} during harvest, page ms: first {lat[0] * 1000:5.1f} middle {lat[len(lat) // 2] * 1000:5.1f} "
        f"last {lat[-1] * 1000:5.1f} median {statistics.median(lat) * 1000:4.1f} p99 {p99:5.1f}"
    )
    print(
        f"{'':23} re-fetched x{REPEATS} (median) ms: first {ms['first']:5.1f} middle {ms['middle']:5.1f} "
        f"last {ms['last']:5.1f}; last/first {ms['last'] / ms['first']:4.2f}"
    )


def _workers(port: int) -> list[Path]:
    """Return the /proc folders of the gunicorn workers serving on the port (children of its master)."""
    bind = f"127.0.0.1:{port}".encode()
    masters = {p.name for p in Path("/proc").iterdir() if p.name.isdigit() and _cmdline_has(p, bind)}
    workers = []
    for proc in Path("/proc").iterdir():
        try:
            stat = (proc / "stat").read_text() if proc.name.isdigit() else ""
        except OSError:
            continue
        if stat and stat.rsplit(")", 1)[1].split()[1] in masters:
            workers.append(proc)
    return workers


def worker_rss(port: int) -> list[float]:
    """Return the RSS in MiB of each gunicorn worker serving on the port."""
    rss = []
    for proc in _workers(port):
        fields = dict(line.split(":", 1) for line in (proc / "status").read_text().splitlines() if ":" in line)
        rss.append(int(fields["VmRSS"].split()[0]) / 1024)
    return sorted(rss)


def worker_cpu(port: int) -> float:
    """Return the CPU seconds (user + system) the port's gunicorn workers have used so far."""
    ticks = 0
    for proc in _workers(port):
        fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _cmdline_has(proc: Path, text: bytes) -> bool:
    try:
        return text in (proc / "cmdline").read_bytes()
    except OSError:
        return False


@contextmanager
def oai_repo_server(data_dir: str, workers: int) -> Iterator[int]:
    """Serve a copy of the records through oai-repo under the same gunicorn settings; yield its port."""
    copy_db = Path(data_dir) / "oai-repo.sqlite"
    copy_db.unlink(missing_ok=True)  # a folder reused with --reuse holds the last run's copy
    copy_records(Path(data_dir) / "dmzpub.sqlite", copy_db)
    port = free_port()
    command = [sys.executable, str(ROOT / "bench" / "_oai_repo_app.py"), str(copy_db), f"127.0.0.1:{port}"]
    proc = subprocess.Popen(
        [*command, str(workers), "4"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120  # a loaded machine boots gunicorn slowly
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise SystemExit("the oai-repo server did not come up within 120 s") from None
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def checked(url: str, prefix: str, encoding: str, expected: int, label: str) -> dict[str, Any]:
    """Harvest one list and check that every record came."""
    result = harvest(url, prefix, encoding)
    if result["records"] != expected:
        raise SystemExit(f"{label}: harvested {result['records']:,} of {expected:,} records")
    return result


def compare(
    ours: str, theirs: str, args: argparse.Namespace, peer: str = "oai-repo", target: str = " (target >= 3)"
) -> None:
    """Harvest both servers taking turns page by page, per format and encoding.

    Turns, not one whole harvest after the other: the load of a shared machine swings within
    seconds, and alternating pages puts both servers under the same load. Each side's records/s
    counts only its own turns (its requests and its client's work on its pages). Beside it, the
    servers' CPU per page: what each server spends, which scheduling does not blur.
    """
    ratios, cpu_ratios = [], []
    servers = {"dmzpub": ours, peer: theirs}
    ports = {label: int(url.split(":")[2].split("/")[0]) for label, url in servers.items()}
    for encoding in args.encodings.split(","):
        for prefix in args.formats.split(","):
            walks = {label: Walk(url, prefix, encoding) for label, url in servers.items()}
            before = {label: worker_cpu(port) for label, port in ports.items()}
            while not all(walk.done for walk in walks.values()):
                for walk in walks.values():
                    if not walk.done:
                        walk.step()
            rates, cpu, client = {}, {}, {}
            for label, walk in walks.items():
                walk.client.connection.close()
                if walk.records != args.records:
                    raise SystemExit(f"{label}: harvested {walk.records:,} of {args.records:,} records")
                rates[label] = walk.records / walk.seconds
                cpu[label] = (worker_cpu(ports[label]) - before[label]) / len(walk.latencies) * 1000
                client[label] = walk.cpu / len(walk.latencies) * 1000
            ratio = rates["dmzpub"] / rates[peer]
            ratios.append(ratio)
            cpu_ratios.append(cpu[peer] / cpu["dmzpub"])
            print(
                f"  {prefix:13} {encoding:8} dmzpub {rates['dmzpub']:>8,.0f} records/s   "
                f"{peer} {rates[peer]:>8,.0f} records/s   ratio {ratio:5.2f}   "
                f"server CPU ms/page {cpu['dmzpub']:5.2f} vs {cpu[peer]:5.2f} ({cpu_ratios[-1]:4.2f}x)   "
                f"client CPU ms/page {client['dmzpub']:4.2f} vs {client[peer]:4.2f}"
            )
    print(f"  median ratio dmzpub/{peer}: {statistics.median(ratios):.2f}{target}")
    print(f"  median server CPU per page, {peer}/dmzpub: {statistics.median(cpu_ratios):.2f}x")


def compare_baseline(ours: str, env: dict[str, str], args: argparse.Namespace) -> None:
    """Serve the same store with the code of git commit --baseline and harvest both, taking turns.

    A baseline of another schema version refuses this store: it gets the same records in a store of
    its own, filled by its own code.
    """
    with tempfile.TemporaryDirectory(prefix="dmzpub-baseline-") as folder:
        command = checkout_command(args.baseline, Path(folder))
        if args.store == "sqlite" and _schema_at(args.baseline) != schema.SCHEMA_VERSION:
            env = {**env, "DMZPUB_DATA_DIR": str(Path(folder) / "var")}
            _fill_with(Path(folder), env["DMZPUB_DATA_DIR"], args.records)
        with dmzpub_server(env, workers=args.workers, command=command) as old:
            print(f"the same records served by the code of {args.baseline} ({args.workers} workers):")
            compare(ours, f"{old}/oai", args, peer=args.baseline, target="")


def _schema_at(ref: str) -> int:
    """Return the store schema version of git ref `ref`'s code."""
    text = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{ref}:catalogue_core/store/schema.py"], check=True, capture_output=True
    ).stdout.decode()
    return int(re.search(r"^SCHEMA_VERSION = (\d+)", text, re.MULTILINE).group(1))  # type: ignore[union-attr]


def _fill_with(code: Path, data_dir: str, records: int) -> None:
    """Fill a new SQLite store in `data_dir` as the bench fills its own, by the code exported into `code`."""
    site = next(p for p in sys.path if p.endswith("site-packages"))
    # catalogue_core imported first, from `code`: this module's own path entries come later (-S: see checkout_command).
    run = (
        f"import sys; sys.path[:0] = [{str(code)!r}, {site!r}]; import catalogue_core; import harvest, argparse; "
        f"harvest.fill_store(harvest.open_store(None, {data_dir!r}), {data_dir!r},"
        f" argparse.Namespace(store='sqlite', records={records}))"
    )
    subprocess.run([sys.executable, "-S", "-c", run], check=True, cwd=ROOT / "bench")


def fill_store(store: Repository, data_dir: str, args: argparse.Namespace) -> None:
    """Fill a new store: the first SEED records through its write path, the rest copied in SQL (SQLite)."""
    schema.check(store)  # stamp the new store as the server would, or the server refuses it
    print(f"store: {args.store}; filling {args.records:,} records")
    written = args.records if args.store == "mongo" else min(args.records, SEED)
    seconds = fill(store, written)
    print(f"fill: {written / seconds:,.0f} records/s through the store ({seconds:.1f} s)")
    store.close()
    if written < args.records:
        seconds = replicate(Path(data_dir) / "dmzpub.sqlite", args.records)
        rate = args.records / seconds
        print(f"copied in SQL to {args.records:,} records: {rate:,.0f} records/s ({seconds:.1f} s)")


def main() -> None:
    """Fill, serve, harvest, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000, help="records to fill (default 20,000)")
    parser.add_argument("--no-compare", action="store_true", help="skip the oai-repo library run")
    parser.add_argument("--formats", default=",".join(FORMATS), help="metadata prefixes to harvest")
    parser.add_argument("--store", choices=("sqlite", "mongo"), default="sqlite")
    parser.add_argument("--page-size", type=int, default=100, help="DMZPUB_OAI_PAGE_SIZE (default 100)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the filled data folder afterwards")
    parser.add_argument(
        "--reuse", metavar="DIR", help="a folder kept by --keep holding --records records: harvest it, no fill"
    )
    parser.add_argument("--encodings", default="identity,gzip", help="Accept-Encoding values to harvest with")
    parser.add_argument(
        "--baseline",
        metavar="REF",
        default="",
        help="also harvest the code of git commit REF, taking turns (e.g. da43307)",
    )
    args = parser.parse_args()
    print(f"python: {interpreter()}")

    data_dir = args.reuse or tempfile.mkdtemp(prefix="dmzpub-bench-")
    wire = None
    env = {
        **os.environ,
        "DMZPUB_DATA_DIR": data_dir,
        "DMZPUB_BASE_URL": BASE_URL,
        "DMZPUB_OAI_PAGE_SIZE": str(args.page_size),
        "DMZPUB_MONGO_URI": "",
    }
    if args.store == "mongo":
        from mongo_server import mongo_base_uri, with_database

        base, wire = mongo_base_uri()
        env["DMZPUB_MONGO_URI"] = with_database(base, "dmzpub_bench")
    try:
        store = open_store(env["DMZPUB_MONGO_URI"] or None, data_dir)
        if args.reuse:
            print(f"store: {args.store}; reusing {data_dir}")
            held = store.stats()
            store.close()
            if held.published + held.withdrawn != args.records:
                raise SystemExit(f"{data_dir} holds {held.published + held.withdrawn:,} records, not {args.records:,}")
        else:
            fill_store(store, data_dir, args)
        with dmzpub_server(env, workers=args.workers) as base:
            print(f"gunicorn: {args.workers} workers; page size {args.page_size}")
            port = int(base.rsplit(":", 1)[1])
            for encoding in args.encodings.split(","):
                for prefix in args.formats.split(","):
                    before = worker_cpu(port)
                    result = checked(f"{base}/oai", prefix, encoding, args.records, "dmzpub")
                    report(prefix, encoding, result, worker_cpu(port) - before)
            rss = worker_rss(port)
            sizes = ", ".join(f"{r:.0f} MiB" for r in rss)
            print(f"RSS per worker after the harvests ({args.records:,} records): {sizes}")
            if args.store == "sqlite" and not args.no_compare:
                with oai_repo_server(data_dir, args.workers) as port:
                    print(
                        f"the same records through the oai-repo library (pre-rendered, SQLite, {args.workers} workers):"
                    )
                    compare(f"{base}/oai", f"http://127.0.0.1:{port}/oai", args)
                    print(f"  oai-repo RSS per worker: {', '.join(f'{r:.0f} MiB' for r in worker_rss(port))}")
            if args.baseline:
                compare_baseline(f"{base}/oai", env, args)
    finally:
        if wire is not None:
            wire.stop()
        if args.keep or args.reuse:
            print(f"kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
