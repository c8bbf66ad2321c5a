"""`dmzpub stage-worker`: stage the datasets of SciCat `public` jobs taken from RabbitMQ, then report to SciCat.

SciCat's `rabbitmq` job action (SciCatProject/backend, src/config/job-config/actions/rabbitmqaction/
and src/common/rabbitmq/rabbitmq.service.ts) asserts a durable queue and a durable *topic*
exchange, binds them with the action's key and publishes `JSON.stringify(job)` persistently:
`{id, type, jobParams: {datasetList: [{pid, files}]}, statusCode, ...}` (src/jobs/schemas/
job.schema.ts, dto/dataset-list.dto.ts; `files: []` means every file). We declare the same
queue with the same (empty) arguments, so SciCat's own assertQueue keeps working; that is why
poison messages are moved to `<queue>.dead-letter` by republishing (confirmed) and acking,
not through an `x-dead-letter-exchange` argument SciCat would refuse as inequivalent.

A message is acknowledged only after its datasets' manifests are written and SciCat was told;
a worker killed before that leaves it to be redelivered, and a re-run skips every good copy.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

import pika
from pika.adapters.blocking_connection import BlockingChannel

from catalogue_core.doi import doi_key
from catalogue_core.errors import InvalidDOI
from catalogue_core.publisher import SciCatSource
from catalogue_core.publisher.datasets import (
    JOB_DONE,
    JOB_FAILED,
    UnknownDataset,
    dataset_pids,
    published_with_dataset,
    read_dataset,
    report_job,
)
from catalogue_core.urls import checksums_path, file_path, listing_path, zip_path

from .datasets import Staging
from .errors import StageFailed, UnsafePath

log = logging.getLogger(__name__)
DEAD_LETTER_SUFFIX = ".dead-letter"
# The result lists at most this many file URLs per DOI; the listing URL covers the rest.
RESULT_FILES = 1000


class Poison(Exception):
    """A message no retry can help: not JSON, not a public job, or naming a dataset SciCat does not know."""


class JobFailed(Exception):
    """The job is understood but cannot be done (no published DOI, a file missing on disk): told to SciCat."""


@dataclass(frozen=True)
class Job:
    """The parts of a SciCat job the worker needs."""

    id: str
    datasets: tuple[tuple[str, tuple[str, ...]], ...]


def parse_job(body: bytes) -> Job:
    """Return the job of a message body; raise Poison naming what is wrong."""
    try:
        job = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Poison(f"not JSON: {exc}") from None
    if not isinstance(job, dict):
        raise Poison("not a JSON object")
    if job.get("type") not in (None, "public"):
        raise Poison(f"job type {job.get('type')!r} is not 'public'")
    params = job["jobParams"] if isinstance(job.get("jobParams"), dict) else {}
    # v4 keeps the list in jobParams; a v3 job carried it at the top.
    entries = params.get("datasetList", job.get("datasetList"))
    if not isinstance(entries, list) or not entries:
        raise Poison("jobParams.datasetList is missing or empty")
    datasets = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("pid"), str) or not entry["pid"]:
            raise Poison("a datasetList entry has no pid")
        files = entry.get("files") or []
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise Poison(f"files of dataset {entry['pid']} is not a list of paths")
        datasets.append((entry["pid"], tuple(files)))
    job_id = job.get("id") or job.get("_id")
    if not isinstance(job_id, str) or not job_id:
        raise Poison("the job has no id")
    return Job(job_id, tuple(datasets))


class StageWorker:
    """Consume one queue until `stop` is set; each job staged once, poison set aside, outages waited out."""

    def __init__(
        self,
        amqp_url: str,
        exchange: str,
        queue: str,
        routing_key: str,
        source: SciCatSource,
        staging: Staging,
        public_url: str,
        stop: threading.Event,
        retry_wait: float = 5.0,
    ) -> None:
        self.amqp_url, self.exchange, self.queue, self.routing_key = amqp_url, exchange, queue, routing_key
        self.source, self.staging, self.public_url = source, staging, public_url.rstrip("/")
        self.stop, self.retry_wait = stop, retry_wait
        self.dead_letter = queue + DEAD_LETTER_SUFFIX
        self.done = 0

    def run(self) -> None:
        """Consume until stopped; reconnect after a broker outage."""
        while not self.stop.is_set():
            try:
                self._consume()
            except pika.exceptions.AMQPError as exc:
                log.warning("RabbitMQ connection lost (%s); reconnecting in %.0fs", exc or type(exc).__name__, 5)
                self.stop.wait(self.retry_wait)

    def declare(self, channel: BlockingChannel) -> None:
        """Declare the exchange, queue and binding exactly as SciCat's rabbitmq action does, plus the dead letters."""
        channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
        channel.queue_declare(self.queue, durable=True)
        channel.queue_bind(self.queue, self.exchange, routing_key=self.routing_key)
        channel.queue_declare(self.dead_letter, durable=True)

    def _consume(self) -> None:
        connection = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
        try:
            channel = connection.channel()
            channel.confirm_delivery()
            self.declare(channel)
            # One message at a time: several workers on one queue share the work fairly.
            channel.basic_qos(prefetch_count=1)
            log.info("waiting for jobs on queue %s", self.queue)
            for method, properties, body in channel.consume(self.queue, inactivity_timeout=0.5):
                if self.stop.is_set():
                    break
                if method is None:
                    continue
                self.handle(channel, method, properties, body)
            channel.cancel()
        finally:
            if connection.is_open:
                connection.close()

    def handle(self, channel: BlockingChannel, method: Any, properties: Any, body: bytes) -> None:
        """Process one message and settle it: ack, dead-letter or requeue."""
        job: Job | None = None
        try:
            job = parse_job(body)
            self.process(job)
        except Poison as exc:
            self._dead_letter(channel, method, properties, body, str(exc), job)
            return
        except Exception as exc:
            log.warning("job %s not done, back to the queue in %.0fs: %s", job.id if job else "?", self.retry_wait, exc)
            self.stop.wait(self.retry_wait)
            channel.basic_nack(method.delivery_tag, requeue=True)
            return
        channel.basic_ack(method.delivery_tag)
        self.done += 1

    def _dead_letter(
        self, channel: BlockingChannel, method: Any, properties: Any, body: bytes, why: str, job: Job | None
    ) -> None:
        log.error("poison message moved to %s: %s", self.dead_letter, why)
        headers = dict(getattr(properties, "headers", None) or {})
        headers.update({"x-dmzpub-error": why[:1000], "x-dmzpub-queue": self.queue})
        # Confirmed publish first, then ack: a crash in between leaves a copy, never none.
        channel.basic_publish(
            "",
            self.dead_letter,
            body,
            pika.BasicProperties(delivery_mode=2, headers=headers, content_type="application/json"),
            mandatory=True,
        )
        if job is not None:
            self._report(job, JOB_FAILED, f"rejected: {why}", {})
        channel.basic_ack(method.delivery_tag)

    def _report(self, job: Job, code: str, message: str, result: dict[str, Any]) -> None:
        try:
            report_job(self.source, job.id, code, message, result)
        except Exception as exc:
            log.error("cannot report job %s to SciCat: %s", job.id, exc)

    def process(self, job: Job) -> None:
        """Stage every DOI the job's datasets belong to and report the outcome to SciCat."""
        log.info("job %s: %d dataset(s)", job.id, len(job.datasets))
        try:
            dois = self._dois(job)
            results = [self._stage(key, doi, pids) for key, (doi, pids) in sorted(dois.items())]
        except JobFailed as exc:
            log.error("job %s failed: %s", job.id, exc)
            report_job(self.source, job.id, JOB_FAILED, str(exc), {})
            return
        files = sum(len(r["files"]) for r in results)
        message = f"staged {files} file(s) for {', '.join(r['doi'] for r in results)}"
        report_job(self.source, job.id, JOB_DONE, message, {"downloads": results})
        log.info("job %s done: %s", job.id, message)

    def _dois(self, job: Job) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Return {doi key: (doi, all dataset pids of that DOI)} for the job's datasets."""
        dois: dict[str, tuple[str, tuple[str, ...]]] = {}
        for pid, files in job.datasets:
            try:
                dataset = read_dataset(self.source, pid)
            except UnknownDataset as exc:
                raise Poison(str(exc)) from None
            listed = {f.path for f in dataset.files}
            unknown = [f for f in files if f not in listed]
            if unknown:
                raise JobFailed(f"dataset {pid} lists no file {', '.join(unknown[:10])}")
            published = [d for d in published_with_dataset(self.source, pid) if d.get("status") != "private"]
            if not published:
                raise JobFailed(f"dataset {pid} belongs to no published DOI")
            for document in published:
                try:
                    key = doi_key(str(document.get("doi")))
                except InvalidDOI:
                    continue
                dois[key] = (str(document["doi"]), dataset_pids(document))
        return dois

    def _stage(self, key: str, doi: str, pids: tuple[str, ...]) -> dict[str, Any]:
        """Stage one DOI's datasets (the download area holds whole DOIs) and return its download URLs."""
        try:
            report = self.staging.stage(key, [read_dataset(self.source, pid) for pid in pids])
        except UnknownDataset as exc:
            raise JobFailed(f"{doi}: {exc}") from None
        except (StageFailed, UnsafePath) as exc:
            raise JobFailed(f"{doi}: {exc}") from None
        manifest = self.staging.manifest(key)
        base = self.public_url
        return {
            "doi": doi,
            "listing": base + listing_path(key),
            "zip": base + zip_path(key),
            "checksums": base + checksums_path(key),
            "files": [
                {"path": f.path, "size": f.size, "sha256": f.sha256, "url": base + file_path(key, f.path)}
                for f in manifest[:RESULT_FILES]
            ],
            "copied": report.copied,
        }
