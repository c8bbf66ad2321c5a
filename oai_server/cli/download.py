"""`dmzpub stage` (intranet side: copy a dataset out) and `dmzpub cache ...` (quota, fixity, pins)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
import paramiko

from catalogue_core.doi import doi_key
from catalogue_core.errors import InvalidDOI
from download_cache.errors import DownloadCacheError, StageFailed
from download_cache.fixity import verify
from download_cache.open_target import open_target
from download_cache.ratelimit import parse_rate
from download_cache.retention import Retention
from download_cache.sftp import storage_options
from download_cache.sources import Source, parse_file_list
from download_cache.stage import Stager
from download_cache.targets import Target

from .progress import choose
from .sides import Needs, Side, command, group, settings

# The copier and the cache commands run in the intranet: they never read the DMZ's settings.
DOWNLOAD_AREA = Needs(
    Side.INTRANET,
    ("DMZPUB_DOWNLOAD_DIR", "DMZPUB_SSH_KNOWN_HOSTS", "DMZPUB_STAGE_JOBS", "DMZPUB_CACHE_MAX_BYTES"),
)


def _key(doi: str) -> str:
    try:
        return doi_key(doi)
    except InvalidDOI as exc:
        raise click.BadParameter(str(exc.problems[0].message), param_hint="DOI") from None


def _options(ctx: click.Context, url: str, ssh_key: str | None) -> dict[str, Any]:
    known_hosts = ctx.meta.get("dmzpub.known_hosts") or settings(ctx)["DMZPUB_SSH_KNOWN_HOSTS"]
    return storage_options(url, ssh_key, known_hosts)


def _target(ctx: click.Context, url: str | None, ssh_key: str | None) -> Target:
    url = url or settings(ctx)["DMZPUB_DOWNLOAD_DIR"]
    try:
        return open_target(url, _options(ctx, url, ssh_key))
    except (OSError, ValueError, DownloadCacheError, paramiko.SSHException) as exc:
        # fsspec and paramiko report connection, authentication and host key problems so.
        raise click.ClickException(f"cannot open the download area {url}: {exc}") from None


def _known_hosts(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value:
        ctx.meta["dmzpub.known_hosts"] = value
    return value


def _rate(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    try:
        return parse_rate(value) if value else None
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a rate like 500k, 20M or 1G (bytes per second)") from None


_area = click.option("--area", "area", default=None, help="Download area URL or folder (default: DMZPUB_DOWNLOAD_DIR).")
_key_opt = click.option(
    "--ssh-key", default=None, type=click.Path(exists=True, dir_okay=False), help="SSH key for sftp://."
)
_hosts_opt = click.option(
    "--known-hosts",
    default=None,
    expose_value=False,
    is_eager=True,
    callback=_known_hosts,
    type=click.Path(dir_okay=False),
    help="known_hosts file the sftp:// server's host key must be in (default: DMZPUB_SSH_KNOWN_HOSTS).",
)
_json = click.option("--json", "as_json", is_flag=True, help="Print a JSON summary for scripts.")


@command(DOWNLOAD_AREA)
@click.argument("doi")
@click.option("--source", required=True, help="Folder or fsspec URL (sftp://user@host/path) holding the files.")
@click.option("--files-from", type=click.File("r"), default=None, help="Paths (or sha256sum lines); - is stdin.")
@click.option("--target", default=None, help="Download area folder or URL, e.g. sftp://dmzpub@cache/srv/downloads.")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="Files at once (default: DMZPUB_STAGE_JOBS).")
@click.option("--bwlimit", callback=_rate, default=None, help="Bandwidth limit for the whole stage, e.g. 50M.")
@_key_opt
@_hosts_opt
@_json
@click.pass_context
def stage(
    ctx: click.Context,
    doi: str,
    source: str,
    files_from: Any,
    target: str | None,
    jobs: int | None,
    bwlimit: float | None,
    ssh_key: str | None,
    as_json: bool,
) -> None:
    """Copy a dataset's files into the download area, verified; it becomes visible when complete."""
    key = _key(doi)
    config = settings(ctx)
    area = _target(ctx, target, ssh_key)
    stager = Stager(area, jobs or config["DMZPUB_STAGE_JOBS"], bwlimit, choose(as_json))
    try:
        listed = parse_file_list(files_from.read(), files_from.name) if files_from else None
        report = stager.stage(key, Source(source, _options(ctx, source, ssh_key)), listed)
    except StageFailed as exc:
        if as_json:
            click.echo(json.dumps({"doi": key, "state": "failed", "failures": exc.failures}))
        raise click.ClickException(str(exc)) from None
    except (DownloadCacheError, paramiko.SSHException) as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        where = "--target" if target else "DMZPUB_DOWNLOAD_DIR"
        raise click.ClickException(f"{exc} (download area {area.url}; check {where} and --source)") from None
    evicted = Retention(area).enforce(config["DMZPUB_CACHE_MAX_BYTES"], keep={key})
    summary = {**report.as_dict(), "evicted": evicted}
    if as_json:
        click.echo(json.dumps(summary))
    else:
        click.echo(
            f"staged {key}: {report.files} file(s), {report.copied} copied ({report.resumed} resumed), "
            f"{report.skipped} already in place, {report.bytes_copied} bytes in {report.seconds}s"
        )
        for other in evicted:
            click.echo(f"evicted {other} to stay under DMZPUB_CACHE_MAX_BYTES")


@group(DOWNLOAD_AREA)
def cache() -> None:
    """Inspect and maintain the download area: ls, verify, evict, pin."""


@cache.command("ls")
@_area
@_key_opt
@_hosts_opt
@_json
@click.pass_context
def cache_ls(ctx: click.Context, area: str | None, ssh_key: str | None, as_json: bool) -> None:
    """List the datasets of the download area with state, size, pin and last download."""
    datasets = Retention(_target(ctx, area, ssh_key)).datasets()
    if as_json:
        click.echo(json.dumps([d.as_dict() for d in datasets]))
        return
    for d in datasets:
        info = d.as_dict()
        pin = "pinned" if d.pinned else "-"
        click.echo(f"{d.doi}\t{d.state}\t{d.files} files\t{d.size} bytes\t{pin}\t{info['last_access'] or '-'}")
    total = sum(d.size for d in datasets if d.state == "staged")
    click.echo(f"{len(datasets)} dataset(s), {total} bytes staged", err=True)


@cache.command("verify")
@click.argument("dois", nargs=-1)
@click.option("--quarantine", is_flag=True, help="Move mismatching files to quarantine and hide their dataset.")
@_area
@_key_opt
@_hosts_opt
@_json
@click.pass_context
def cache_verify(
    ctx: click.Context, dois: tuple[str, ...], quarantine: bool, area: str | None, ssh_key: str | None, as_json: bool
) -> None:
    """Re-hash staged files (all datasets, or those named) and report every mismatch."""
    retention = Retention(_target(ctx, area, ssh_key))
    keys = [_key(d) for d in dois] or retention.keys()
    report = verify(retention.target, keys, quarantine)
    if as_json:
        click.echo(json.dumps(report.as_dict()))
    else:
        for m in report.mismatches:
            click.echo(f"MISMATCH {m.doi} {m.path}: {m.problem}")
        for path in report.quarantined:
            click.echo(f"quarantined {path}")
        click.echo(f"verified {report.files} file(s) of {report.datasets} dataset(s), {report.bytes} bytes")
    if report.mismatches:
        sys.exit(1)


@cache.command("evict")
@click.argument("dois", nargs=-1)
@click.option("--force", is_flag=True, help="Evict pinned datasets too.")
@_area
@_key_opt
@_hosts_opt
@_json
@click.pass_context
def cache_evict(
    ctx: click.Context, dois: tuple[str, ...], force: bool, area: str | None, ssh_key: str | None, as_json: bool
) -> None:
    """Evict the datasets named, or with none named, the least recently downloaded until under quota."""
    retention = Retention(_target(ctx, area, ssh_key))
    try:
        if dois:
            evicted = []
            for doi in dois:
                retention.evict(_key(doi), force)
                evicted.append(_key(doi))
        else:
            evicted = retention.enforce(settings(ctx)["DMZPUB_CACHE_MAX_BYTES"])
    except DownloadCacheError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps({"evicted": evicted}))
    else:
        for key in evicted:
            click.echo(f"evicted {key}")
        click.echo(f"{len(evicted)} dataset(s) evicted", err=True)


@cache.command("pin")
@click.argument("doi")
@click.option("--unpin", is_flag=True, help="Remove the pin instead.")
@_area
@_key_opt
@_hosts_opt
@click.pass_context
def cache_pin(ctx: click.Context, doi: str, unpin: bool, area: str | None, ssh_key: str | None) -> None:
    """Pin a dataset so that eviction never removes it (or --unpin it)."""
    key = _key(doi)
    try:
        Retention(_target(ctx, area, ssh_key)).pin(key, not unpin)
    except DownloadCacheError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{'unpinned' if unpin else 'pinned'} {key}")


COMMANDS = (stage, cache)
