"""DMZ store commands: export and import the whole store as JSON Lines, and migrate its schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import click
from flask import Flask

from catalogue_core.errors import InvalidRecord
from catalogue_core.record_writer import search_text
from catalogue_core.scicat import from_scicat
from catalogue_core.store import Repository, StoredRecord, open_store, schema
from catalogue_core.store.base import format_datestamp, utcnow
from catalogue_core.store.transfer import BadExport, export_lines, import_lines
from catalogue_core.text import fold

from .sides import DMZ, command, dmz_app


@contextmanager
def raw_store(ctx: click.Context) -> Iterator[tuple[Repository, str]]:
    """Open the configured store without the schema check (export and migrate must read old stores)."""
    app: Flask = dmz_app(ctx)
    uri = app.config["DMZPUB_MONGO_URI"] or None
    repo = open_store(uri, app.config["DMZPUB_DATA_DIR"])
    try:
        yield repo, "mongodb" if uri else "sqlite"
    finally:
        repo.close()


def _search_of(record: StoredRecord) -> str:
    """Return the search text of an imported record, derived as a push would derive it."""
    try:
        return search_text(from_scicat(record.payload, record.doi))
    except (InvalidRecord, TypeError, ValueError):
        return fold(record.doi)  # a payload today's rules refuse: still findable by its DOI


@command(DMZ, "export")
@click.argument("output", type=click.File("w", encoding="utf-8", lazy=True), default="-")
@click.pass_context
def export_command(ctx: click.Context, output: IO[str]) -> None:
    """Write the whole store (records, payloads, tombstones, datestamps) as JSON Lines to OUTPUT (or stdout)."""
    count = 0
    with raw_store(ctx) as (repo, kind):
        for line in export_lines(repo, kind, format_datestamp(utcnow())):
            output.write(line)
            count += 1
    output.flush()
    click.echo(f"exported {count - 1} records and tombstones from the {kind} store", err=True)


@command(DMZ, "import")
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-")
@click.pass_context
def import_command(ctx: click.Context, source: IO[str]) -> None:
    """Load an export (from `dmzpub export`) into an empty store, keeping every datestamp."""
    with raw_store(ctx) as (repo, kind):
        if repo.list_keys(None, 1):
            raise click.ClickException(
                f"the {kind} store is not empty; importing would mix two stores. "
                "Fix: import into an empty store (a new DMZPUB_DATA_DIR or MongoDB database)"
            )
        try:
            report = import_lines(repo, source, _search_of)
        except BadExport as exc:
            raise click.ClickException(f"{getattr(source, 'name', 'input')}: {exc}") from None
        repo.set_schema_version(report.header["schema"])
        applied = schema.migrate(repo, click.echo)
    click.echo(f"imported {report.records} records and {report.tombstones} tombstones into the {kind} store")
    if applied:
        click.echo(f"applied {applied} schema upgrades")


@command(DMZ, "migrate")
@click.pass_context
def migrate_command(ctx: click.Context) -> None:
    """Upgrade the store to this release's schema version (back it up with `dmzpub export` first)."""
    with raw_store(ctx) as (repo, kind):
        applied = schema.migrate(repo, click.echo)
    if applied:
        click.echo(f"the {kind} store is at schema version {schema.SCHEMA_VERSION} ({applied} upgrades applied)")
    else:
        click.echo(f"the {kind} store is at schema version {schema.SCHEMA_VERSION}; nothing to do")


COMMANDS = (export_command, import_command, migrate_command)
