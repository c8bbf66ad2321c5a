"""What every intranet command shares: the publisher's settings, the outbox, delivery and the SciCat source."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from catalogue_core.publisher import (
    DeliveryReport,
    Outbox,
    PublisherError,
    PushSettings,
    RetryPolicy,
    SciCatSource,
)

from .progress import choose
from .sides import Needs, Side, settings

# Only these are read, so an intranet host never needs (or trips over) the DMZ's settings.
PUBLISHER = Needs(
    Side.INTRANET,
    (
        "DMZPUB_DATA_DIR",
        "DMZPUB_PUSH_URL",
        "DMZPUB_PUSH_TOKEN",
        "DMZPUB_PUSH_TIMEOUT",
        "DMZPUB_PUSH_BACKOFF",
        "DMZPUB_PUSH_GIVE_UP",
        "DMZPUB_SCICAT_URL",
        "DMZPUB_SCICAT_TOKEN",
        "DMZPUB_SCICAT_USER",
        "DMZPUB_SCICAT_PASSWORD",
        "DMZPUB_CA_BUNDLE",
    ),
)


def push_settings(ctx: click.Context, need_dmz: bool = True) -> PushSettings:
    """Return the push settings; stop with a clear message when the DMZ is not configured."""
    cfg = settings(ctx, PUBLISHER.settings)
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
    return delivered(outbox, ps.deliverer(outbox, client, choose(lines=False)).flush())


def delivered(outbox: Outbox, report: DeliveryReport) -> DeliveryReport:
    """Print what a delivery did; exit 1 when something is left over or parked."""
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


def source_options(command: Callable[..., Any]) -> Callable[..., Any]:
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


def scicat_source(ctx: click.Context, ps: PushSettings, options: dict[str, Any]) -> SciCatSource:
    cfg = settings(ctx, PUBLISHER.settings)
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
