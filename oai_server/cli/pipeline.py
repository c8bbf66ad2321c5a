"""The publication pipeline's commands: `dmzpub sync --watch` and `dmzpub stage-worker` (intranet side)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from catalogue_core.publisher import PushSettings, SciCatSource
from catalogue_core.publisher.datasets import read_dataset
from catalogue_core.publisher.watch import StopCheck, Stopping, Watcher, WatchSettings, lag_seconds, read_status

from .intranet import PUBLISHER, opened, push_settings, scicat_source, source_options
from .sides import ConfigurationError, Needs, command, settings

# What the pipeline reads besides the publisher's own settings; DMZ-only settings stay unread.
PIPELINE = (
    "DMZPUB_BASE_URL",
    "DMZPUB_DOWNLOAD_DIR",
    "DMZPUB_STAGE_JOBS",
    "DMZPUB_STAGE_BWLIMIT",
    "DMZPUB_CACHE_MAX_BYTES",
    "DMZPUB_SSH_KNOWN_HOSTS",
    "DMZPUB_SOURCE_MAP",
    "DMZPUB_SYNC_INTERVAL",
    "DMZPUB_SYNC_OVERLAP",
    "DMZPUB_RECONCILE_INTERVAL",
    "DMZPUB_AMQP_URL",
    "DMZPUB_STAGE_EXCHANGE",
    "DMZPUB_STAGE_QUEUE",
    "DMZPUB_STAGE_ROUTING_KEY",
)
STAGE_WORKER = Needs(PUBLISHER.side, PUBLISHER.settings + PIPELINE)


def _logging() -> None:
    """Log one line per event to stderr (journald adds the time; a terminal gets it too)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
        )
    logging.getLogger("pika").setLevel(logging.WARNING)


def _stop_event() -> threading.Event:
    """Return an event SIGTERM and SIGINT set (only the main thread may install handlers)."""
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, lambda *_: stop.set())
    return stop


def _staging(cfg: dict[str, Any]) -> Any:
    from download_cache.datasets import Staging

    return Staging(
        cfg["DMZPUB_DOWNLOAD_DIR"],
        cfg["DMZPUB_SOURCE_MAP"],
        str(cfg["DMZPUB_SSH_KNOWN_HOSTS"]),
        cfg["DMZPUB_STAGE_JOBS"],
        cfg["DMZPUB_STAGE_BWLIMIT"],
        cfg["DMZPUB_CACHE_MAX_BYTES"],
    )


def watch_command(ctx: click.Context, ps: PushSettings, options: dict[str, Any]) -> None:
    """Run `dmzpub sync --watch` until SIGTERM."""
    from download_cache.follow import FileFollower

    cfg = settings(ctx, PIPELINE)
    _logging()
    stop = _stop_event()

    def sleep(seconds: float) -> None:
        if stop.wait(seconds):
            raise Stopping()

    interval = cfg["DMZPUB_SYNC_INTERVAL"]
    # A round never waits out an outage longer than an interval: the next round tries again.
    ps = replace(ps, policy=replace(ps.policy, give_up=min(ps.policy.give_up, interval), sleep=sleep))
    source = scicat_source(ctx, ps, options)
    follower = None
    if cfg["DMZPUB_SOURCE_MAP"].rules:
        staging = _staging(cfg)
        files_source = scicat_source(ctx, ps, options)  # its own connection: it works in its own thread
        follower = FileFollower(
            Path(ps.data_dir) / "files.sqlite",
            lambda pid: read_dataset(files_source, pid),
            staging.stage,
            staging.evict,
            retry_after=interval,
            retry_max=cfg["DMZPUB_RECONCILE_INTERVAL"],
        )
    else:
        logging.getLogger(__name__).warning("DMZPUB_SOURCE_MAP is not set: records are published, files are not")
    watch = WatchSettings(interval, cfg["DMZPUB_SYNC_OVERLAP"], cfg["DMZPUB_RECONCILE_INTERVAL"])
    with opened(ps) as (box, client):
        watcher = Watcher(
            source,
            box,
            client,
            # SIGTERM also ends a long delivery after the batch under way (each batch is recorded first).
            ps.deliverer(box, client, StopCheck(stop)),
            watch,
            Path(ps.data_dir),
            stop,
            hooks=follower,
            counts=follower.counts if follower else None,
        )
        thread = None
        if follower is not None:
            thread = threading.Thread(target=follower.run, args=(stop,), name="dmzpub-files", daemon=True)
            thread.start()
        try:
            watcher.run()
        finally:
            stop.set()
            if follower is not None and thread is not None:
                follower.wake.set()
                # A copy under way is left as it is: the next start resumes it (the copier is crash-safe).
                thread.join(timeout=10)
                follower.close()
            source.close()


def echo_watch_status(data_dir: Path, limit: int) -> None:
    """Print what `dmzpub sync --watch` last reported, when it runs on this host."""
    status = read_status(data_dir)
    if status is None:
        return
    lag = lag_seconds(status)
    click.echo(
        f"watch: {status.get('state')} (pid {status.get('pid')}), last success {status.get('last_success') or 'never'}"
        f" (lag {'-' if lag is None else f'{lag:.0f}s'}), last full round {status.get('last_full') or 'never'},"
        f" high-water {status.get('high_water') or '-'}, queue {status.get('queue', 0)},"
        f" files pending {status.get('files_pending', 0)}, files failed {status.get('files_failed', 0)}"
    )
    if status.get("last_error"):
        click.echo(f"watch: last error {status['last_error']}")
    files = Path(data_dir) / "files.sqlite"
    if files.exists() and status.get("files_failed"):
        import sqlite3

        with sqlite3.connect(files, timeout=30) as db:
            rows = db.execute(
                "SELECT doi, error FROM files WHERE state = 'failed' ORDER BY updated_at LIMIT ?", (limit,)
            ).fetchall()
        db.close()
        for doi, error in rows:
            click.echo(f"files failed {doi}: {error}")


@command(STAGE_WORKER, "stage-worker")
@source_options
@click.pass_context
def stage_worker(ctx: click.Context, dry_run: bool, **options: Any) -> None:
    """Stage the datasets of SciCat `public` jobs from RabbitMQ and report each job back to SciCat."""
    from download_cache.stage_worker import StageWorker

    if dry_run:
        raise click.UsageError("stage-worker has no --dry-run")
    cfg = settings(ctx, PIPELINE)
    if not cfg["DMZPUB_AMQP_URL"]:
        raise ConfigurationError("DMZPUB_AMQP_URL is not set. Fix: set it like amqp://user:password@rabbit/%2F")
    if not cfg["DMZPUB_SOURCE_MAP"].rules:
        raise ConfigurationError("DMZPUB_SOURCE_MAP is not set. Fix: map SciCat's source folders (see README)")
    _logging()
    stop = _stop_event()

    def sleep(seconds: float) -> None:
        if stop.wait(seconds):
            raise Stopping()

    ps = push_settings(ctx, need_dmz=False)
    ps = replace(ps, policy=replace(ps.policy, sleep=sleep))
    source: SciCatSource = scicat_source(ctx, ps, options)
    worker = StageWorker(
        cfg["DMZPUB_AMQP_URL"],
        cfg["DMZPUB_STAGE_EXCHANGE"],
        cfg["DMZPUB_STAGE_QUEUE"],
        cfg["DMZPUB_STAGE_ROUTING_KEY"],
        source,
        _staging(cfg),
        cfg["DMZPUB_BASE_URL"],
        stop,
    )
    try:
        worker.run()
    finally:
        source.close()


COMMANDS = (stage_worker,)
