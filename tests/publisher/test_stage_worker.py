"""`dmzpub stage-worker` on a real RabbitMQ: public jobs staged once each, poison set aside, crashes survived."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pika
import pytest
from conftest import v4_document
from rabbitmq_server import RabbitMQ

from .pipeline import SCICAT_PASSWORD, SCICAT_USER, Service, make_folder, pipeline_env, sha256, wait_for
from .servers import LiveDMZ, SciCatStandIn


@pytest.fixture
def store_kind() -> str:
    """The worker is what is under test here, not the store: SQLite only."""
    return "sqlite"


@pytest.fixture
def catalogue(rabbitmq: RabbitMQ) -> Iterator[SciCatStandIn]:
    """Return a SciCat stand-in whose `rabbitmq` job action publishes to this test's own exchange and queue."""
    server = SciCatStandIn([], users={SCICAT_USER: SCICAT_PASSWORD})
    name = f"dmzpub-test-{uuid.uuid4().hex[:10]}"
    server.rabbitmq = {"url": rabbitmq.url(), "exchange": name + ".x", "queue": name, "key": "jobqueue"}
    server.start()
    yield server
    server.stop()


def worker_env(tmp_path: Path, dmz: LiveDMZ, scicat: SciCatStandIn, rabbitmq: RabbitMQ, **extra: str) -> dict[str, str]:
    """Return the settings of a stage-worker host for this test's queue."""
    assert scicat.rabbitmq is not None
    return pipeline_env(
        tmp_path / "intranet",
        dmz,
        scicat,
        tmp_path / "downloads",
        DMZPUB_SOURCE_MAP=f"/data={tmp_path / 'data'}",
        DMZPUB_AMQP_URL=rabbitmq.url(),
        DMZPUB_STAGE_EXCHANGE=scicat.rabbitmq["exchange"],
        DMZPUB_STAGE_QUEUE=scicat.rabbitmq["queue"],
        DMZPUB_STAGE_ROUTING_KEY="jobqueue",
        **extra,
    )


def publish_dataset(tmp_path: Path, scicat: SciCatStandIn, n: int, files: dict[str, bytes]) -> tuple[str, str]:
    """Give SciCat one registered DOI covering one dataset with these files; return (doi, pid)."""
    doi, pid = f"10.99999/worker-{n:03d}", f"20.500.12269/ds-{n:03d}"
    make_folder(tmp_path / "data" / f"ds-{n:03d}", files)
    scicat.add_dataset(pid, f"/data/ds-{n:03d}", files)
    scicat.put({**v4_document(doi, f"Worker dataset {n}"), "status": "registered", "datasetPids": [pid]})
    return doi, pid


def queue_state(rabbitmq: RabbitMQ, queue: str) -> tuple[int, int]:
    """Return (messages ready, consumers) of a queue."""
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq.url()))
    try:
        ok = connection.channel().queue_declare(queue, passive=True).method
        return ok.message_count, ok.consumer_count
    except pika.exceptions.ChannelClosedByBroker:
        return 0, 0  # not declared yet
    finally:
        if connection.is_open:
            connection.close()


def dead_letters(rabbitmq: RabbitMQ, queue: str) -> list[tuple[bytes, dict[str, Any]]]:
    """Take every message of a dead-letter queue; return (body, headers) of each."""
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq.url()))
    out = []
    try:
        channel = connection.channel()
        while True:
            method, properties, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                return out
            out.append((body, properties.headers or {}))
    finally:
        connection.close()


def test_two_workers_share_twenty_jobs_each_done_once_and_poison_ends_in_the_dead_letter_queue(
    tmp_path: Path, dmz: LiveDMZ, catalogue: SciCatStandIn, rabbitmq: RabbitMQ
) -> None:
    env = worker_env(tmp_path, dmz, catalogue, rabbitmq)
    queue = env["DMZPUB_STAGE_QUEUE"]
    datasets = {}
    for n in range(20):
        files = {"data.bin": f"dataset {n} ".encode() * 5000, "notes/readme.txt": f"readme {n}\n".encode()}
        datasets[n] = (*publish_dataset(tmp_path, catalogue, n, files), files)
    workers = [Service(["stage-worker"], env, tmp_path / f"worker-{i}.log").start() for i in range(2)]
    try:
        wait_for(lambda: queue_state(rabbitmq, queue)[1] == 2, what="both workers consuming")
        jobs = {n: catalogue.create_job([{"pid": pid, "files": []}])["id"] for n, (_, pid, _) in datasets.items()}
        catalogue.publish(b"{not json")
        unknown = catalogue.create_job([{"pid": "20.500.12269/nobody-knows", "files": []}])["id"]

        wait_for(lambda: all(catalogue.finished(j) for j in [*jobs.values(), unknown]), 120, "every job reported")
        wait_for(lambda: queue_state(rabbitmq, queue)[0] == 0, what="the queue drained")
        for n, job in jobs.items():
            doi, _, files = datasets[n]
            (update,) = catalogue.finished(job)  # done once: exactly one final report
            assert update["statusCode"] == "finishedSuccessful", update
            (download,) = update["jobResultObject"]["downloads"]
            assert download["doi"] == doi
            assert download["zip"] == f"https://doi.example.org/download/{doi}.zip"
            staged = {f["path"]: f["sha256"] for f in download["files"]}
            assert staged == {path: sha256(data) for path, data in files.items()}
            folder = tmp_path / "downloads" / quote(doi, safe="")
            assert (folder / "manifest.json").is_file()
            assert sha256((folder / "data.bin").read_bytes()) == sha256(files["data.bin"])
        assert catalogue.finished(unknown)[0]["statusCode"] == "finishedUnsuccessful"

        poison = dead_letters(rabbitmq, queue + ".dead-letter")
        bodies = {body for body, _ in poison}
        assert len(poison) == 2 and b"{not json" in bodies
        assert [json.loads(b)["id"] for b in bodies if b != b"{not json"] == [unknown]
        reasons = " | ".join(str(headers.get("x-dmzpub-error")) for _, headers in poison)
        assert "not JSON" in reasons and "nobody-knows" in reasons
        logs = [w.log() for w in workers]
        assert all(" done: staged " in log for log in logs), "both workers took a share"
        assert sum(log.count(" done: staged ") for log in logs) == 20
        assert "poison message moved to" in "".join(logs)
        assert [w.terminate() for w in workers] == [0, 0]
    finally:
        for worker in workers:
            worker.stop()


def test_a_worker_killed_mid_message_leaves_nothing_half_copied_and_the_job_is_done_once_after_restart(
    tmp_path: Path, dmz: LiveDMZ, catalogue: SciCatStandIn, rabbitmq: RabbitMQ
) -> None:
    files = {"a-small.txt": b"small file\n", "b-large.bin": bytes(range(256)) * 64 * 1024}  # 16 MiB
    doi, pid = publish_dataset(tmp_path, catalogue, 1, files)
    env = worker_env(tmp_path, dmz, catalogue, rabbitmq, DMZPUB_STAGE_BWLIMIT="4M")
    folder = tmp_path / "downloads" / quote(doi, safe="")
    worker = Service(["stage-worker"], env, tmp_path / "worker.log").start()
    try:
        wait_for(lambda: queue_state(rabbitmq, env["DMZPUB_STAGE_QUEUE"])[1] == 1, what="the worker consuming")
        job = catalogue.create_job([{"pid": pid, "files": []}])["id"]
        wait_for(lambda: (folder / "a-small.txt").exists() and list(folder.glob(".dmzpub-part.b-large.bin")), 60)
        small_inode = (folder / "a-small.txt").stat().st_ino
        worker.kill9()
        # Nothing half-copied is visible: no manifest, the large file only under its temporary name.
        assert not (folder / "manifest.json").exists() and not (folder / "b-large.bin").exists()
        assert catalogue.finished(job) == []
        assert queue_state(rabbitmq, env["DMZPUB_STAGE_QUEUE"])[0] == 1, "unacknowledged: back in the queue"

        worker.env["DMZPUB_STAGE_BWLIMIT"] = ""
        worker.start()
        wait_for(lambda: catalogue.finished(job), 60, "the redelivered job")
        (update,) = catalogue.finished(job)
        assert update["statusCode"] == "finishedSuccessful"
        assert update["jobResultObject"]["downloads"][0]["copied"] == 1, "the good copy was not staged twice"
        assert (folder / "a-small.txt").stat().st_ino == small_inode
        assert sha256((folder / "b-large.bin").read_bytes()) == sha256(files["b-large.bin"])
        assert not list(folder.glob(".dmzpub-part.*"))
        assert worker.terminate() == 0
    finally:
        worker.stop()
