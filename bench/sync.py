"""Print records/s of a first SciCat sync of 10,000 records and of a re-sync with no change, on both stores.

The DMZ runs under gunicorn (`dmzpub serve`, its default 2 workers x 4 threads) in its own process;
the SciCat stand-in of the tests serves v4 PublishedData pages from a thread of this process; the
sync itself is the code behind `dmzpub sync` (read, hash, queue in the outbox, deliver in bulk).
Run: .venv/bin/python bench/sync.py [--records N] [--stores sqlite,mongo]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from mongo_server import with_database  # noqa: E402
from publisher.servers import SciCatStandIn  # noqa: E402

from catalogue_core.publisher import Outbox, PushSettings, RetryPolicy, SciCatSource, sync  # noqa: E402

TOKEN = "bench-token"
MONGO_SCRIPT = """
import sys, time
sys.path.insert(0, sys.argv[1])
from mongo_server import WireServer
server = WireServer()
print(server.start(), flush=True)
sys.stdin.read()
server.stop()
"""


def free_port() -> int:
    """Return a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def documents(n: int) -> list[dict]:
    """Return n v4 PublishedData documents of realistic size."""
    docs = []
    for i in range(n):
        docs.append(
            {
                "doi": f"10.99999/bench-{i:06d}",
                "title": f"Benchmark dataset {i}: small-angle scattering of sample {i % 97}",
                "abstract": "Measurements taken during the benchmark campaign. " * 4,
                "status": "registered",
                "datasetPids": [f"20.500.12269/{i:08d}-0000-4000-8000-000000000000"],
                "numberOfFiles": i % 50 + 1,
                "sizeOfArchive": 1_000_000 + i,
                "registeredTime": "2025-06-02T08:30:00.000Z",
                "metadata": {
                    "creators": [
                        {
                            "name": f"Doe, Jane{i % 13}",
                            "nameType": "Personal",
                            "givenName": "Jane",
                            "familyName": "Doe",
                        },
                        {"name": "Facility Data Team", "nameType": "Organizational"},
                    ],
                    "publisher": {"name": "Example Facility"},
                    "publicationYear": 2020 + i % 6,
                    "resourceType": "raw",
                    "subjects": [{"subject": "neutron scattering"}, {"subject": f"topic {i % 11}"}],
                    "landingPage": "https://doi.example.org/detail/",
                },
            }
        )
    return docs


def start_dmz(data_dir: Path, mongo_uri: str) -> tuple[subprocess.Popen, str]:
    """Start `dmzpub serve` on a free port; return the process and its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "DMZPUB_DATA_DIR": str(data_dir),
        "DMZPUB_BIND": f"127.0.0.1:{port}",
        "DMZPUB_PUSH_TOKENS": TOKEN,
        "DMZPUB_MONGO_URI": mongo_uri,
    }
    process = subprocess.Popen(
        [sys.executable, "-c", "from oai_server.cli import run; run()", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=2).status_code == 200:
                return process, url
        except requests.ConnectionError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the DMZ did not start")


def one_sync(source_url: str, settings: PushSettings) -> tuple[float, float, int, int]:
    """Run one sync plus delivery; return (seconds, of which reading and queueing, read, delivered)."""
    outbox = Outbox(settings.outbox_path)
    client = settings.client()
    source = SciCatSource(source_url, api="v4", page_size=500)
    started = time.perf_counter()
    report = sync(source, outbox)
    queued = time.perf_counter() - started
    delivery = settings.deliverer(outbox, client).flush()
    elapsed = time.perf_counter() - started
    if delivery.stopped or delivery.parked:
        raise SystemExit(f"delivery failed: {delivery.stopped or delivery.parked[:3]}")
    outbox.close()
    client.close()
    source.close()
    return elapsed, queued, report.read, delivery.delivered


def bench(store: str, docs: list[dict], scicat: SciCatStandIn, mongo_uri: str) -> None:
    """Print the figures for one DMZ store."""
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_dmz(Path(tmp) / "dmz", mongo_uri)
        try:
            settings = PushSettings(url, TOKEN, Path(tmp) / "intranet", timeout=300, policy=RetryPolicy(give_up=300))
            for label in ("first sync", "no-change sync"):
                seconds, queued, read, sent = one_sync(scicat.url, settings)
                print(
                    f"{store:6} {label + ':':15} {read} read, {sent} delivered in {seconds:6.2f} s"
                    f" (read+hash+queue {queued:5.2f} s) = {read / seconds:7.0f} records/s"
                )
        finally:
            process.terminate()
            process.wait(timeout=30)


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--stores", default="sqlite,mongo")
    args = parser.parse_args()
    docs = documents(args.records)
    scicat = SciCatStandIn(docs, versions=("v3", "v4"))
    scicat.start()
    print(f"dmzpub sync benchmark: {args.records} v4 records, SciCat pages of 500, bulk batches of 100")
    try:
        for store in args.stores.split(","):
            if store == "sqlite":
                bench(store, docs, scicat, "")
                continue
            mongo = subprocess.Popen(
                [sys.executable, "-c", MONGO_SCRIPT, str(ROOT / "tests")],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            uri = with_database(mongo.stdout.readline().strip(), "dmzpub_bench")
            try:
                bench("mongo", docs, scicat, uri)
            finally:
                mongo.stdin.close()
                mongo.wait(timeout=30)
    finally:
        scicat.stop()


if __name__ == "__main__":
    main()
