"""DMZ commands: serve the app, re-render the store, check the settings."""

from __future__ import annotations

import click
from flask import Flask

from ..config import ConfigError
from ..store import of as stores
from .sides import DMZ, ConfigurationError, command, dmz_app


@command(DMZ)
@click.option("--demo", is_flag=True, help="Load a few demonstration records when the store is empty.")
@click.option("--bind", default=None, help="Address to listen on (default: DMZPUB_BIND).")
@click.option("--workers", type=int, default=None, help="Worker processes (default: DMZPUB_WORKERS).")
@click.pass_context
def serve(ctx: click.Context, demo: bool, bind: str | None, workers: int | None) -> None:
    """Run the server under gunicorn."""
    app = dmz_app(ctx)
    stores(app).store.ping()  # fail now, with the setting to fix, not in every worker
    if demo:
        loaded = load_demo(app)
        if loaded:
            click.echo(f"loaded {loaded} demo records into the empty store")
    store_ext = stores(app)
    click.echo(f"store: {store_ext.kind}; listening on http://{bind or app.config['DMZPUB_BIND']}")
    store_ext.close()  # reopened in each worker after the fork
    from ..gunicorn_app import run

    run(
        app,
        bind or app.config["DMZPUB_BIND"],
        workers or app.config["DMZPUB_WORKERS"],
        app.config["DMZPUB_THREADS"],
    )


def load_demo(app: Flask) -> int:
    """Push the demo records when the store is empty; return how many were loaded."""
    from ..demo import DEMO_DOCUMENTS

    writer = stores(app).writer
    if writer.store.list_keys(None, 1):
        return 0
    for document in DEMO_DOCUMENTS:
        writer.publish(document)
    stage_demo_files(app.config["DMZPUB_DOWNLOAD_DIR"])
    return len(DEMO_DOCUMENTS)


def stage_demo_files(download_dir: str) -> None:
    """Stage the demo dataset's files, through the real copier, so downloads can be tried."""
    import tempfile
    from pathlib import Path

    from download_cache.open_target import open_target
    from download_cache.sources import Source
    from download_cache.stage import Stager

    from ..demo import DEMO_FILES, DEMO_STAGED_KEY

    with tempfile.TemporaryDirectory(prefix="dmzpub-demo-") as folder:
        for name, text in DEMO_FILES.items():
            path = Path(folder) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        Stager(open_target(download_dir)).stage(DEMO_STAGED_KEY, Source(folder))


@command(DMZ)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes rendering records (default: the CPU count, at most 8; 1 renders in this process).",
)
@click.pass_context
def reindex(ctx: click.Context, workers: int | None) -> None:
    """Re-render every record; bump datestamps of those whose output changed; recount the records."""
    import os

    from catalogue_core.reindex import reindex_all

    app = dmz_app(ctx)
    writer = stores(app).writer
    # At most 8 by default: one process writes what all of them found changed, and each holds two
    # pages of records in flight.
    total, changed = reindex_all(writer, workers or min(os.cpu_count() or 1, 8))
    # MongoDB counts follow each record write, not inside it: a crash between the two drifts them by one.
    writer.store.rebuild_counts()
    click.echo(f"reindexed {total} records, {changed} changed; counts rebuilt")


@command(DMZ, "check-config")
@click.option("--demo", is_flag=True, help="Allow a loopback DMZPUB_BASE_URL (a local trial, like `serve --demo`).")
@click.pass_context
def check_config(ctx: click.Context, demo: bool) -> None:
    """Check every DMZPUB_* setting, the signing key, the folders and that the store answers."""
    import os

    from ..preflight import problems
    from ..secret_key import secret_key

    built_here = not isinstance(ctx.find_root().obj, Flask)
    app = dmz_app(ctx)
    try:
        try:
            secret_key(app.config)
        except ConfigError as exc:
            raise ConfigurationError(f"configuration error: {exc}") from None
        stores(app).store.ping()
        from ..exposure import bind_warning

        if warning := bind_warning(app.config["DMZPUB_BIND"]):
            click.echo(f"warning: {warning}", err=True)
        if found := problems(app.config, os.environ, demo):
            for problem in found:
                click.echo(f"configuration error: {problem}", err=True)
            raise SystemExit(ConfigurationError.exit_code)
    finally:
        if built_here:
            stores(app).close()
    click.echo(f"configuration ok; store: {stores(app).kind}")


COMMANDS = (serve, reindex, check_config)
