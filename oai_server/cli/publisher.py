"""Intranet commands: push, withdraw, outbox, sync and reconcile, reading only the settings they need."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from catalogue_core.doi import doi_key
from catalogue_core.errors import InvalidDOI, InvalidRecord
from catalogue_core.publisher import (
    PublisherError,
    reconcile,
    sync,
)
from catalogue_core.publisher.delivery import alongside
from catalogue_core.publisher.intents import publication, read_documents, withdrawal_of
from catalogue_core.publisher.sync import Action

from .intranet import PUBLISHER, deliver, delivered, opened, push_settings, scicat_source, source_options
from .pipeline import PIPELINE, echo_watch_status, watch_command
from .progress import choose
from .sides import Needs, command, group

# `sync --watch` also stages files: it may read the pipeline's settings (never the DMZ's).
SYNC = Needs(PUBLISHER.side, PUBLISHER.settings + PIPELINE)


def _actions(actions: list[Action], dry_run: bool) -> None:
    prefix = "would " if dry_run else ""
    # One echo for them all: an echo a line flushed the stream each time, 0.27 s of a 10,000-record sync's ~7 s.
    if actions:
        click.echo("\n".join([f"{prefix}{action.verb} {action.doi}: {action.why}" for action in actions]))


@command(PUBLISHER)
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--queue-only", is_flag=True, help="Queue in the outbox without delivering now.")
@click.pass_context
def push(ctx: click.Context, files: tuple[Path, ...], queue_only: bool) -> None:
    """Queue PublishedData documents (JSON files, one document or an array each) and deliver them."""
    ps = push_settings(ctx, need_dmz=not queue_only)
    intents, problems = [], []
    for path in files:
        try:
            for origin, document in read_documents(path):
                try:
                    intents.append(publication(document, origin))
                except InvalidRecord as exc:
                    problems.append(f"{origin}: " + "; ".join(f"{p.field}: {p.message}" for p in exc.problems))
        except PublisherError as exc:
            problems.append(str(exc))
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} document(s) refused; nothing was queued")
    with opened(ps, need_dmz=not queue_only) as (outbox, client):
        outbox.enqueue(intents)
        click.echo(f"queued {len(intents)} record(s)")
        if not queue_only:
            deliver(ps, outbox, client)


@command(PUBLISHER)
@click.argument("doi")
@click.option("--reason", default=None, help="Why the record is withdrawn (shown on the tombstone).")
@click.pass_context
def withdraw(ctx: click.Context, doi: str, reason: str | None) -> None:
    """Queue the withdrawal of a DOI and deliver it (after any earlier entry of that DOI)."""
    ps = push_settings(ctx)
    try:
        intent = withdrawal_of(doi, reason)
    except InvalidDOI as exc:
        raise click.BadParameter(exc.problems[0].message, param_hint="DOI") from None
    with opened(ps) as (outbox, client):
        outbox.enqueue([intent])
        click.echo(f"queued withdrawal of {intent.doi}")
        deliver(ps, outbox, client)


@group(PUBLISHER)
def outbox() -> None:
    """Show and drain the outbox of records waiting for the DMZ."""


@outbox.command("status")
@click.option("--limit", default=20, show_default=True, help="How many pending and parked entries to list.")
@click.pass_context
def outbox_status(ctx: click.Context, limit: int) -> None:
    """Show counts, the oldest waiting entries and every parked entry with its error."""
    ps = push_settings(ctx, need_dmz=False)
    with opened(ps, need_dmz=False) as (box, _):
        counts = box.counts()
        click.echo(" ".join(f"{state}={n}" for state, n in counts.items()))
        for item in box.entries("pending", limit=limit):
            age = time.time() - item.queued_at
            note = f" (attempts {item.attempts}, last error: {item.error})" if item.attempts else ""
            click.echo(f"pending #{item.seq} {item.action} {item.doi}, queued {age:.0f}s ago{note}")
        for item in box.entries("parked", limit=limit):
            click.echo(f"parked #{item.seq} {item.action} {item.doi} (HTTP {item.http_status}): {item.error}")
    echo_watch_status(ps.data_dir, limit)
    if counts["pending"] or counts["parked"]:
        raise SystemExit(1)  # as the README promises: cron mails while anything waits or is parked


@outbox.command("flush")
@click.pass_context
def outbox_flush(ctx: click.Context) -> None:
    """Deliver every pending entry now; exit 1 while anything is still queued or parked."""
    ps = push_settings(ctx)
    with opened(ps) as (box, client):
        deliver(ps, box, client)
        if parked := box.counts()["parked"]:
            click.echo(f"{parked} parked entries wait for `dmzpub outbox retry`", err=True)
            raise SystemExit(1)


@outbox.command("retry")
@click.argument("doi", required=False)
@click.pass_context
def outbox_retry(ctx: click.Context, doi: str | None) -> None:
    """Put parked entries (all, or one DOI's) back in line and deliver them."""
    ps = push_settings(ctx)
    try:
        key = doi_key(doi) if doi else None
    except InvalidDOI as exc:
        raise click.BadParameter(exc.problems[0].message, param_hint="DOI") from None
    with opened(ps) as (box, client):
        click.echo(f"{box.retry(key)} parked entries queued again")
        deliver(ps, box, client)


@command(SYNC, "sync")
@source_options
@click.option("--watch", is_flag=True, help="Keep running: a round every DMZPUB_SYNC_INTERVAL, files staged too.")
@click.pass_context
def sync_command(ctx: click.Context, dry_run: bool, watch: bool, **options: Any) -> None:
    """Push new and changed SciCat records to the DMZ and withdraw those deleted upstream."""
    ps = push_settings(ctx, need_dmz=not dry_run)
    if watch:
        return watch_command(ctx, ps, options)
    source = scicat_source(ctx, ps, options)
    with opened(ps, need_dmz=not dry_run) as (box, client):
        progress = choose(lines=False)
        if dry_run:
            report = sync(source, box, dry_run=True, progress=progress)
        else:
            deliverer = ps.deliverer(box, client, progress)  # delivers while SciCat is still read
            with alongside(deliverer) as feed:
                report = sync(source, box, progress=progress, queued=feed.more)
        _actions(report.actions, dry_run)
        for doi, error in report.invalid:
            click.echo(f"invalid upstream {doi}: {error}", err=True)
        click.echo(
            f"read {report.read} records from SciCat ({report.api}): {report.count('publish')} new, "
            f"{report.count('update')} changed, {report.unchanged} unchanged, {report.count('withdraw')} withdrawn, "
            f"{report.private} private skipped, {report.unusable} without DOI"
        )
        if not dry_run:
            delivered(box, deliverer.report)
    source.close()


@command(PUBLISHER, "reconcile")
@source_options
@click.pass_context
def reconcile_command(ctx: click.Context, dry_run: bool, **options: Any) -> None:
    """Compare the DMZ with SciCat and repair every difference in SciCat's favour."""
    ps = push_settings(ctx)
    source = scicat_source(ctx, ps, options)
    with opened(ps) as (box, client):
        if box.counts()["pending"] and not dry_run:
            deliver(ps, box, client)  # queued entries would otherwise show up as differences
        report = reconcile(source, client, box, dry_run=dry_run, progress=choose(lines=False))
        _actions(report.actions, dry_run)
        for doi, error in report.unrepairable:
            click.echo(f"cannot repair {doi}: invalid in SciCat: {error}", err=True)
        verb = "would repair" if dry_run else "repaired"
        click.echo(
            f"compared {report.on_dmz} records on the DMZ with {report.in_source} in SciCat ({report.api}): "
            f"{report.matching} match, {verb} {len(report.actions)}"
        )
        if not dry_run:
            deliver(ps, box, client)
    source.close()


COMMANDS = (push, withdraw, outbox, sync_command, reconcile_command)
