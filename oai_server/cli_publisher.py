"""Intranet commands: push, withdraw, outbox, sync and reconcile, reading only the settings they need."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask

from catalogue_core.doi import doi_key
from catalogue_core.errors import InvalidDOI, InvalidRecord
from catalogue_core.publisher import (
    DeliveryReport,
    Outbox,
    PublisherError,
    PushSettings,
    RetryPolicy,
    SciCatSource,
    reconcile,
    sync,
)
from catalogue_core.publisher.push import publication, read_documents, withdrawal_of
from catalogue_core.publisher.sync import Action

from .cli import main
from .cli_progress import Bar
from .config import BY_NAME, ConfigError

# Only these are read, so an intranet host never needs (or trips over) the DMZ's settings.
NEEDED = (
    "DMZPUB_DATA_DIR",
    "DMZPUB_PUSH_URL",
    "DMZPUB_PUSH_TOKEN",
    "DMZPUB_PUSH_TIMEOUT",
    "DMZPUB_PUSH_BACKOFF",
    "DMZPUB_PUSH_GIVE_UP",
    "DMZPUB_SCICAT_URL",
    "DMZPUB_SCICAT_TOKEN",
    "DMZPUB_CA_BUNDLE",
    "DMZPUB_SCICAT_USER",
    "DMZPUB_SCICAT_PASSWORD",
)


def settings(ctx: click.Context, names: tuple[str, ...] = NEEDED) -> dict[str, Any]:
    """Return the publisher's settings from the caller's mapping or app (tests), else the environment."""
    obj = ctx.find_root().obj
    if isinstance(obj, Flask):
        return {name: obj.config[name] for name in names}
    source: Mapping[str, Any] = obj if isinstance(obj, Mapping) else os.environ
    values = {}
    for name in names:
        raw = source.get(name, BY_NAME[name].default or "")
        try:
            values[name] = BY_NAME[name].parse(name, raw) if isinstance(raw, str) else raw
        except ConfigError as exc:
            raise click.ClickException(f"configuration error: {exc}") from None
    return values


def push_settings(ctx: click.Context, need_dmz: bool = True) -> PushSettings:
    """Return the push settings; stop with a clear message when the DMZ is not configured."""
    cfg = settings(ctx)
    if need_dmz and not cfg["DMZPUB_PUSH_URL"]:
        raise click.ClickException(
            "DMZPUB_PUSH_URL is not set. Fix: set it to the DMZ server, like https://doi.example.org"
        )
    if need_dmz and not cfg["DMZPUB_PUSH_TOKEN"]:
        raise click.ClickException("DMZPUB_PUSH_TOKEN is not set. Fix: set it to one of the DMZ's DMZPUB_PUSH_TOKENS")
    backoff = cfg["DMZPUB_PUSH_BACKOFF"]
    policy = RetryPolicy(backoff=backoff, max_wait=64 * backoff, give_up=cfg["DMZPUB_PUSH_GIVE_UP"])
    return PushSettings(
        cfg["DMZPUB_PUSH_URL"],
        cfg["DMZPUB_PUSH_TOKEN"],
        Path(cfg["DMZPUB_DATA_DIR"]),
        timeout=cfg["DMZPUB_PUSH_TIMEOUT"],
        policy=policy,
        ca_bundle=cfg["DMZPUB_CA_BUNDLE"],
    )


@contextmanager
def opened(ps: PushSettings, need_dmz: bool = True) -> Iterator[tuple[Outbox, Any]]:
    """Open the outbox (and a DMZ client); turn publisher errors into clean command errors."""
    try:
        outbox = Outbox(ps.outbox_path)
    except (OSError, sqlite3.Error) as exc:
        raise click.ClickException(
            f"cannot open the outbox {ps.outbox_path} ({exc}); fix: point DMZPUB_DATA_DIR at a writable folder"
        ) from None
    client = ps.client() if need_dmz else None
    try:
        yield outbox, client
    except PublisherError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if client is not None:
            client.close()
        outbox.close()


def deliver(ps: PushSettings, outbox: Outbox, client: Any) -> DeliveryReport:
    """Drain the outbox and print what happened; exit 1 when something is left over or parked."""
    report = ps.deliverer(outbox, client, Bar()).flush()
    outcomes = ", ".join(f"{n} {what}" for what, n in sorted(report.outcomes.items())) or "nothing"
    click.echo(f"delivered: {outcomes}")
    for doi, status, error in report.parked:
        click.echo(f"parked {doi} (HTTP {status}): {error}", err=True)
    left = outbox.counts()["pending"]
    if report.stopped:
        click.echo(f"delivery stopped: {report.stopped}", err=True)
    if left:
        click.echo(f"{left} entries wait in the outbox; `dmzpub outbox flush` delivers them", err=True)
    if report.stopped or report.parked or left:
        raise SystemExit(1)
    return report


def _actions(actions: list[Action], dry_run: bool) -> None:
    prefix = "would " if dry_run else ""
    for action in actions:
        click.echo(f"{prefix}{action.verb} {action.doi}: {action.why}")


@click.command()
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


@click.command()
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


@click.group()
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
    from .cli_pipeline import echo_watch_status

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


def _source_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--from-scicat", "url", default=None, help="SciCat backend URL (default: DMZPUB_SCICAT_URL)."),
        click.option("--token", default=None, help="SciCat access token (default: DMZPUB_SCICAT_TOKEN)."),
        click.option("--api", type=click.Choice(["auto", "v4", "v3"]), default="auto", help="SciCat API version."),
        click.option("--page-size", type=click.IntRange(1, 5000), default=500, help="Records per SciCat page (500)."),
        click.option("--dry-run", is_flag=True, help="Show what would change; queue and send nothing."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _source(ctx: click.Context, ps: PushSettings, options: dict[str, Any]) -> SciCatSource:
    cfg = settings(ctx)
    url = options["url"] or cfg["DMZPUB_SCICAT_URL"]
    if not url:
        raise click.UsageError("give --from-scicat URL (or set DMZPUB_SCICAT_URL)")
    token = options["token"] or cfg["DMZPUB_SCICAT_TOKEN"] or None
    source = SciCatSource(url, token, api=options["api"], page_size=options["page_size"], policy=ps.policy)
    if not token and cfg["DMZPUB_SCICAT_USER"]:
        try:
            source.login(cfg["DMZPUB_SCICAT_USER"], cfg["DMZPUB_SCICAT_PASSWORD"])
        except PublisherError as exc:
            raise click.ClickException(f"cannot log in to SciCat as DMZPUB_SCICAT_USER: {exc}") from None
    return source


@click.command("sync")
@_source_options
@click.option("--watch", is_flag=True, help="Keep running: a round every DMZPUB_SYNC_INTERVAL, files staged too.")
@click.pass_context
def sync_command(ctx: click.Context, dry_run: bool, watch: bool, **options: Any) -> None:
    """Push new and changed SciCat records to the DMZ and withdraw those deleted upstream."""
    ps = push_settings(ctx, need_dmz=not dry_run)
    if watch:
        from .cli_pipeline import watch_command

        return watch_command(ctx, ps, options)
    source = _source(ctx, ps, options)
    with opened(ps, need_dmz=not dry_run) as (box, client):
        report = sync(source, box, dry_run=dry_run, progress=Bar())
        _actions(report.actions, dry_run)
        for doi, error in report.invalid:
            click.echo(f"invalid upstream {doi}: {error}", err=True)
        click.echo(
            f"read {report.read} records from SciCat ({report.api}): {report.count('publish')} new, "
            f"{report.count('update')} changed, {report.unchanged} unchanged, {report.count('withdraw')} withdrawn, "
            f"{report.private} private skipped, {report.unusable} without DOI"
        )
        if not dry_run:
            deliver(ps, box, client)
    source.close()


@click.command("reconcile")
@_source_options
@click.pass_context
def reconcile_command(ctx: click.Context, dry_run: bool, **options: Any) -> None:
    """Compare the DMZ with SciCat and repair every difference in SciCat's favour."""
    ps = push_settings(ctx)
    source = _source(ctx, ps, options)
    with opened(ps) as (box, client):
        if box.counts()["pending"] and not dry_run:
            deliver(ps, box, client)  # queued entries would otherwise show up as differences
        report = reconcile(source, client, box, dry_run=dry_run, progress=Bar())
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


for _command in (push, withdraw, outbox, sync_command, reconcile_command):
    main.add_command(_command)
