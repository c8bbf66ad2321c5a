"""Print records/s of a first SciCat sync of 10,000 records and of a re-sync with no change, on both stores.

Each line also gives the CPU per record of the publisher, of the SciCat stand-in (threads of this process,
timed apart) and of the DMZ; on SQLite, each DMZ worker's share of the DMZ's CPU (the publisher delivers
over 2 connections at once) and how long the DMZ's writes waited for the store's write lock and held it
(bench/_locks.py).

Then `dmzpub sync --watch` against 100,000 records in SciCat (`--watch-records`), starting in step: the
DMZ store and the publisher's remembered state are seeded first through the code `dmzpub sync` leaves
them by (the push API's record writer, the outbox's `remember`), since delivering 100,000 records over
HTTP takes longer than the figure is about (the 10,000-record figures above time that). Printed: the
watcher's start-up (full, compare-only) round, and for one change made in SciCat afterwards, how long
until the DMZ has it compared with the interval, and how many records the incremental round read
(it must not read them all).

The DMZ runs under gunicorn (`dmzpub serve`, its default 2 workers x 4 threads) in its own process;
the SciCat stand-in of the tests serves v4 PublishedData pages from a thread of this process; the
sync itself is the code behind `dmzpub sync` (read, hash, queue in the outbox, deliver in bulk).
With --baseline REF, a first sync run as the `dmzpub sync` command by REF's code and then by this checkout's, each into
its own SQLite DMZ: what an operator runs, start-up included; the speed-up by the clock and by CPU per record
(--rounds N: N such pairs, in alternating order, and the median speed-up).
Run: .venv/bin/python bench/sync.py [--records N] [--stores sqlite,mongo] [--baseline REF [--rounds N]]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
# bench/landing.py would shadow the `landing` package the DMZ app imports when seeding.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(1, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # last: its helpers, never ahead of the packages

from _locks import read_times, timed_command  # noqa: E402
from _server import checkout_command, children_cpu, interpreter  # noqa: E402
from mongo_server import with_database  # noqa: E402
from publisher.servers import SciCatStandIn  # noqa: E402

from catalogue_core.publisher import Outbox, PushSettings, RetryPolicy, SciCatSource, sync  # noqa: E402
from catalogue_core.publisher.delivery import alongside  # noqa: E402
from catalogue_core.publisher.sync import read as read_source  # noqa: E402
from catalogue_core.scicat import from_scicat  # noqa: E402
from oai_server import create_app  # noqa: E402
from oai_server.store import ext  # noqa: E402

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


def start_dmz(data_dir: Path, mongo_uri: str, command: list[str] | None = None) -> tuple[subprocess.Popen, str]:
    """Start `dmzpub serve` on a free port, its SQLite write lock timed (bench/_locks.py) into data_dir/locks.log;
    return the process and its base URL. `command`: a checkout_command (another commit's code), None for this one."""
    port = free_port()
    env = {
        **os.environ,
        "DMZPUB_DATA_DIR": str(data_dir),
        "DMZPUB_BIND": f"127.0.0.1:{port}",
        "DMZPUB_PUSH_TOKENS": TOKEN,
        "DMZPUB_MONGO_URI": mongo_uri,
    }
    process = subprocess.Popen(
        [*timed_command(command, data_dir / "locks.log"), "serve"],
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


def tree_cpu(pid: int) -> float:
    """Return the CPU seconds of a process and its children still running (the DMZ's gunicorn master and workers)."""
    # CPU time is what a loaded machine distorts least; the clock mostly measures the other load.
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # not a process, or it ended meanwhile
        if entry.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def one_sync(source_url: str, settings: PushSettings) -> tuple[float, float, int, int]:
    """Run one sync delivering alongside; return (seconds, when reading and queueing ended, read, delivered)."""
    outbox = Outbox(settings.outbox_path)
    client = settings.client()
    source = SciCatSource(source_url, api="v4", page_size=500)
    deliverer = settings.deliverer(outbox, client)
    started = time.perf_counter()
    with alongside(deliverer) as feed:  # as `dmzpub sync` does: delivered while SciCat is read
        report = sync(source, outbox, queued=feed.more)
        queued = time.perf_counter() - started
    delivery = deliverer.report
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
            seen = read_times(Path(tmp) / "dmz" / "locks.log")[1]
            for label in ("first sync", "no-change sync"):
                cpu, dmz_cpu, scicat_cpu = time.process_time(), tree_cpu(process.pid), scicat.cpu
                workers = children_cpu(process.pid)
                seconds, queued, read, sent = one_sync(scicat.url, settings)
                cpu, dmz_cpu = time.process_time() - cpu, tree_cpu(process.pid) - dmz_cpu
                shares = sorted((t - workers.get(w, 0.0) for w, t in children_cpu(process.pid).items()), reverse=True)
                locks, seen = read_times(Path(tmp) / "dmz" / "locks.log", seen)
                scicat_cpu = scicat.cpu - scicat_cpu  # the stand-in answers from threads of this process
                print(
                    f"{store:6} {label + ':':15} {read} read, {sent} delivered in {seconds:6.2f} s"
                    f" (read+hash+queue done at {queued:5.2f} s) = {read / seconds:7.0f} records/s;"
                    f" CPU per record: {(cpu - scicat_cpu) / read * 1000:.2f} ms publisher"
                    f" (+ {scicat_cpu / read * 1000:.2f} ms SciCat stand-in), {dmz_cpu / read * 1000:.2f} ms in the DMZ"
                )
                if store == "sqlite" and sent:
                    split = "/".join(f"{100 * t / dmz_cpu:.0f}" for t in shares)
                    print(f"{'':22} DMZ workers' CPU {split} %; SQLite write lock: {locks.line(seconds)}")
        finally:
            process.terminate()
            process.wait(timeout=30)


def command_sync(label: str, command: list[str] | None, records: int, scicat: SciCatStandIn) -> tuple[float, float]:
    """Time a first `dmzpub sync --from-scicat` run as a command by `command`'s code (None: this checkout's) into its
    own DMZ on SQLite; print its line and return (records/s, CPU ms a record of publisher and DMZ together)."""
    dmzpub = command or [sys.executable, "-c", "from oai_server.cli import main; main()"]
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_dmz(Path(tmp) / "dmz", "", command)
        env = {
            **os.environ,
            "DMZPUB_PUSH_URL": url,
            "DMZPUB_PUSH_TOKEN": TOKEN,
            "DMZPUB_DATA_DIR": str(Path(tmp) / "intranet"),
            "DMZPUB_MONGO_URI": "",
        }
        try:
            dmz_cpu, scicat_cpu = tree_cpu(process.pid), scicat.cpu
            before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
            done = subprocess.run([*dmzpub, "sync", "--from-scicat", scicat.url], env=env, capture_output=True)
            seconds, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
            dmz_cpu, scicat_cpu = tree_cpu(process.pid) - dmz_cpu, scicat.cpu - scicat_cpu
        finally:
            process.terminate()
            process.wait(timeout=30)
    if done.returncode != 0:  # it exits 1 when something was parked or is still queued
        raise SystemExit(f"{label}: dmzpub sync failed: {done.stderr.decode()[-2000:]}")
    publisher = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(
        f"{label:14} dmzpub sync (a command, SQLite DMZ): {records} records in {seconds:6.2f} s ="
        f" {records / seconds:7.0f} records/s; CPU per record: {publisher / records * 1000:.2f} ms publisher"
        f" (+ {scicat_cpu / records * 1000:.2f} ms SciCat stand-in), {dmz_cpu / records * 1000:.2f} ms in the DMZ"
    )
    return records / seconds, (publisher + dmz_cpu) / records * 1000


def compare(ref: str, records: int, scicat: SciCatStandIn, rounds: int = 1) -> None:
    """Print first syncs by `ref`'s code and by this checkout's, each as a command, and the speed-up: `rounds`
    pairs, in the order ref, this, then this, ref, ... (a machine speeding up or slowing down favours neither)."""
    clock, cpu = [], []
    with tempfile.TemporaryDirectory() as tmp:
        base_command = checkout_command(ref, Path(tmp))
        for turn in range(rounds):
            runs = [(ref, base_command), ("this checkout", None)]
            order = runs if turn % 2 == 0 else runs[::-1]
            done = {label: command_sync(label, command, records, scicat) for label, command in order}
            base, this = done[ref], done["this checkout"]
            clock.append(this[0] / base[0])
            cpu.append(base[1] / this[1])
    each = ", ".join(f"x{c:.1f}" for c in clock)
    print(
        f"{'':14} speed-up over {ref}: x{statistics.median(clock):.1f} by the clock (median of {rounds}: {each}),"
        f" x{statistics.median(cpu):.1f} by publisher + DMZ CPU per record"
    )


def stamped(docs: list[dict], start: float, span: float) -> list[dict]:
    """Give the documents `updatedAt` times spread over `span` seconds from `start`, as years of edits would."""
    for i, doc in enumerate(docs):
        moment = start + span * i / len(docs)
        doc["updatedAt"] = (
            time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + f".{int(moment * 1000) % 1000:03d}Z"
        )
    return docs


def watch_status(data_dir: Path) -> dict:
    """Return the watcher's status file ({} until written)."""
    try:
        return json.loads((data_dir / "sync-status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def until(predicate, timeout: float, what: str) -> float:  # type: ignore[no-untyped-def]
    """Wait for `predicate`; return the seconds it took."""
    started = time.perf_counter()
    while not predicate():
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)
    return time.perf_counter() - started


def seed_in_step(docs: list[dict], dmz_dir: Path, intranet_dir: Path, batch: int = 1000) -> float:
    """Leave the DMZ store and the publisher's outbox as a finished `dmzpub sync` of `docs` would; return seconds.

    The DMZ side goes through the push API's own writer (normalise, render every format, batched
    store write), minus HTTP; the intranet side through the outbox's `remember` (what was sent, by hash).
    """
    started = time.perf_counter()
    intranet_dir.mkdir(parents=True, exist_ok=True)
    app = create_app({"DMZPUB_DATA_DIR": str(dmz_dir), "DMZPUB_PUSH_TOKENS": TOKEN})
    outbox = Outbox(PushSettings("http://dmz.invalid", TOKEN, intranet_dir).outbox_path)
    with app.app_context():
        for start in range(0, len(docs), batch):
            chunk = docs[start : start + batch]
            records = [from_scicat(doc) for doc in chunk]
            results = ext().writer.publish_many(records)
            if any(r.outcome not in ("created", "updated", "unchanged") for r in results):
                raise SystemExit(f"seeding the DMZ failed: {results[:3]}")
            sources = [read_source(doc) for doc in chunk]
            outbox.remember(
                [(s.key, s.doi, r.content_hash, s.source_hash) for s, r in zip(sources, records, strict=True) if s]
            )
        ext().close()
    outbox.close()
    return time.perf_counter() - started


def bench_watch(records: int, interval: float) -> None:
    """Print how `dmzpub sync --watch` keeps up with a change at `records` records in SciCat."""
    docs = stamped(documents(records), time.time() - 365 * 86400, 300 * 86400)
    scicat = SciCatStandIn(docs, versions=("v4",))
    scicat.start()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "intranet"
        seeded = seed_in_step(docs, Path(tmp) / "dmz", data_dir)
        print(f"watch  seeded {records} records in step on the DMZ store and in the outbox in {seeded:6.1f} s")
        process, url = start_dmz(Path(tmp) / "dmz", "")
        env = {
            **os.environ,
            "DMZPUB_DATA_DIR": str(data_dir),
            "DMZPUB_PUSH_URL": url,
            "DMZPUB_PUSH_TOKEN": TOKEN,
            "DMZPUB_SCICAT_URL": scicat.url,
            "DMZPUB_SYNC_INTERVAL": str(interval),
            "DMZPUB_SYNC_OVERLAP": "60",
            "DMZPUB_RECONCILE_INTERVAL": "86400",
        }
        dmzpub = str(Path(sys.executable).with_name("dmzpub"))
        log = open(Path(tmp) / "watch.log", "wb")  # noqa: SIM115
        watcher = subprocess.Popen([dmzpub, "sync", "--watch"], env=env, stderr=log)
        try:
            seconds = until(lambda: watch_status(data_dir).get("last_success"), 3600, "the first round")
            status = watch_status(data_dir)
            print(
                f"watch  start-up (full) round: {status.get('last_read')} records read from SciCat and compared"
                f" with the DMZ in {seconds:6.1f} s, {status.get('queue')} left to deliver"
            )
            until(lambda: watch_status(data_dir).get("rounds", 0) >= 2, 3600, "an incremental round")
            served, rounds = scicat.served, watch_status(data_dir)["rounds"]
            changed = {**docs[records // 2], "title": "Changed while the watcher runs"}
            scicat.put(changed)
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {TOKEN}"
            target = f"{url}/api/v1/published/{changed['doi']}"
            seconds = until(lambda: "Changed while" in session.get(target, timeout=30).text, 600, "the change")
            until(lambda: watch_status(data_dir).get("rounds", 0) > rounds, 600, "the round to end")
            status = watch_status(data_dir)
            read = scicat.served - served
            # The change can land just after a round began: the next one starts an interval later and
            # must carry it, so the wait is at most one interval plus that round's own (short) run.
            carried = status["rounds"] - rounds
            verdict = "the first round after it" if carried == 1 else f"{carried} rounds later: LATE"
            print(
                f"watch  one change at {records} records: on the DMZ after {seconds:5.2f} s"
                f" (interval {interval:g} s; carried by {verdict});"
                f" {status['rounds'] - rounds} round(s) read {read} records from SciCat"
                f" ({read / records:.4%} of the catalogue; last round read {status.get('last_read')})"
            )
        finally:
            watcher.terminate()
            watcher.wait(timeout=120)
            log.close()
            if os.environ.get("BENCH_SHOW_LOG"):
                print((Path(tmp) / "watch.log").read_text()[-5000:])
            process.terminate()
            process.wait(timeout=30)
            scicat.stop()


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--stores", default="sqlite,mongo")
    parser.add_argument("--watch-records", type=int, default=100_000, help="records for the watch figures (0: skip)")
    parser.add_argument("--interval", type=float, default=5.0, help="DMZPUB_SYNC_INTERVAL of the watch figures")
    parser.add_argument("--baseline", metavar="REF", help="also time a first sync by REF's code, then this one's")
    parser.add_argument("--rounds", type=int, default=1, help="pairs of --baseline runs, in alternating order")
    args = parser.parse_args()
    docs = documents(args.records)
    scicat = SciCatStandIn(docs, versions=("v3", "v4"))
    scicat.start()
    print(f"dmzpub sync benchmark: {args.records} v4 records, SciCat pages of 500, bulk batches of 100")
    print(f"python: {interpreter()}")
    try:
        for store in filter(None, args.stores.split(",")):
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
        if args.baseline:
            compare(args.baseline, args.records, scicat, args.rounds)
    finally:
        scicat.stop()
    if args.watch_records:
        bench_watch(args.watch_records, args.interval)


if __name__ == "__main__":
    main()
