"""The `dmzpub` command line: serve the DMZ app, and maintain its store."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask

from catalogue_core.errors import StoreError
from catalogue_core.store.schema import SchemaMismatch

from .config import ConfigError


class ConfigurationError(click.ClickException):
    """A bad setting: exit status 78 (EX_CONFIG), on which the systemd unit stops instead of restarting."""

    exit_code = 78


def _app(ctx: click.Context) -> Flask:
    """Return the app given by the caller (tests) or build it from the environment."""
    if isinstance(ctx.obj, Flask):
        return ctx.obj
    from . import create_app

    try:
        ctx.obj = create_app()
    except ConfigError as exc:
        raise ConfigurationError(f"configuration error: {exc}") from None
    return ctx.obj


class _Group(click.Group):
    """Turn a store that does not answer into a one-line error naming the setting to check."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SchemaMismatch as exc:
            raise click.ClickException(str(exc)) from None  # it names its own fix
        except StoreError as exc:
            setting = "DMZPUB_MONGO_URI" if "MongoDB" in str(exc) else "DMZPUB_DATA_DIR"
            raise click.ClickException(f"the record store does not answer: {exc}. Fix: check {setting}") from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dmzpub", prog_name="dmzpub", message="%(prog)s %(version)s")
def main() -> None:
    """dmzpub: publish SciCat records in the DMZ (OAI-PMH, landing pages, downloads)."""
    from .logs import setup_from_environment

    setup_from_environment()


@main.command()
@click.option("--demo", is_flag=True, help="Load a few demonstration records when the store is empty.")
@click.option("--bind", default=None, help="Address to listen on (default: DMZPUB_BIND).")
@click.option("--workers", type=int, default=None, help="Worker processes (default: DMZPUB_WORKERS).")
@click.pass_context
def serve(ctx: click.Context, demo: bool, bind: str | None, workers: int | None) -> None:
    """Run the server under gunicorn."""
    app = _app(ctx)
    app.extensions["dmzpub.store"].store.ping()  # fail now, with the setting to fix, not in every worker
    if demo:
        loaded = load_demo(app)
        if loaded:
            click.echo(f"loaded {loaded} demo records into the empty store")
    store_ext = app.extensions["dmzpub.store"]
    click.echo(f"store: {store_ext.kind}; listening on http://{bind or app.config['DMZPUB_BIND']}")
    store_ext.close()  # reopened in each worker after the fork
    from .gunicorn_app import run

    run(
        app,
        bind or app.config["DMZPUB_BIND"],
        workers or app.config["DMZPUB_WORKERS"],
        app.config["DMZPUB_THREADS"],
    )


def load_demo(app: Flask) -> int:
    """Push the demo records when the store is empty; return how many were loaded."""
    from .demo import DEMO_DOCUMENTS

    publisher = app.extensions["dmzpub.store"].publisher
    if publisher.store.list_keys(None, 1):
        return 0
    for document in DEMO_DOCUMENTS:
        publisher.publish(document)
    stage_demo_files(app.config["DMZPUB_DOWNLOAD_DIR"])
    return len(DEMO_DOCUMENTS)


def stage_demo_files(download_dir: str) -> None:
    """Stage the demo dataset's files, through the real copier, so downloads can be tried."""
    import tempfile
    from pathlib import Path

    from download_cache.sources import Source
    from download_cache.stage import Stager
    from download_cache.targets import Target

    from .demo import DEMO_FILES, DEMO_STAGED_KEY

    with tempfile.TemporaryDirectory(prefix="dmzpub-demo-") as folder:
        for name, text in DEMO_FILES.items():
            path = Path(folder) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        Stager(Target.open(download_dir)).stage(DEMO_STAGED_KEY, Source(folder))


@main.command()
@click.pass_context
def reindex(ctx: click.Context) -> None:
    """Re-render every record; bump datestamps of those whose output changed."""
    app = _app(ctx)
    publisher = app.extensions["dmzpub.store"].publisher
    changed = total = 0
    after = None
    while page := publisher.store.list_keys(after, 500):
        for summary in page:
            result = publisher.reindex(summary.key)
            total += 1
            changed += bool(result and result.outcome != "unchanged")
        after = page[-1].key
    click.echo(f"reindexed {total} records, {changed} changed")


@main.command("check-config")
@click.option("--demo", is_flag=True, help="Allow a loopback DMZPUB_BASE_URL (a local trial, like `serve --demo`).")
@click.pass_context
def check_config(ctx: click.Context, demo: bool) -> None:
    """Check every DMZPUB_* setting, the signing key, the folders and that the store answers."""
    import os

    from .preflight import problems
    from .secret_key import secret_key

    built_here = not isinstance(ctx.obj, Flask)
    app = _app(ctx)
    try:
        try:
            secret_key(app.config)
        except ConfigError as exc:
            raise ConfigurationError(f"configuration error: {exc}") from None
        app.extensions["dmzpub.store"].store.ping()
        from .exposure import bind_warning

        if warning := bind_warning(app.config["DMZPUB_BIND"]):
            click.echo(f"warning: {warning}", err=True)
        if found := problems(app.config, os.environ, demo):
            for problem in found:
                click.echo(f"configuration error: {problem}", err=True)
            raise SystemExit(ConfigurationError.exit_code)
    finally:
        if built_here:
            app.extensions["dmzpub.store"].close()
    click.echo(f"configuration ok; store: {app.extensions['dmzpub.store'].kind}")


def run(argv: list[str] | None = None) -> Any:
    """Entry point with standalone error handling."""
    return main.main(args=argv if argv is not None else sys.argv[1:], prog_name="dmzpub")


# cli_publisher registers push, withdraw, outbox, sync, reconcile; cli_store export, import, migrate.
from . import cli_publisher, cli_store  # noqa: E402, F401
from .cli_download import register  # noqa: E402  (last: cli_download imports this module)

register(main)

from .cli_pipeline import register as register_pipeline  # noqa: E402  (stage-worker)

register_pipeline(main)
