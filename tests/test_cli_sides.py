"""Each command declares its side: intranet commands never build the DMZ app nor read its settings."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from download_helpers import cli_env, dmzpub

from oai_server.cli import COMMANDS, main
from oai_server.cli.sides import Needs, Side, command, dmz_app, needs_of

# A DMZ-only setting broken on purpose: an intranet host may have anything (or nothing) there.
BROKEN_DMZ = {"DMZPUB_BASE_URL": "not a url", "DMZPUB_OAI_PAGE_SIZE": "lots", "DMZPUB_PUSH_TOKENS_FILE": "/nope"}

INTRANET_RUNS = [
    (["outbox", "status"], 0, "pending=0"),
    (["push", "--queue-only", "{doc}"], 0, "queued 1 record(s)"),
    (["withdraw", "10.5555/x"], 1, "DMZPUB_PUSH_URL is not set"),
    (["sync", "--dry-run"], 2, "give --from-scicat URL"),
    (["reconcile"], 1, "DMZPUB_PUSH_URL is not set"),
    (["cache", "ls", "--json"], 0, "[]"),
    (["stage", "10.5555/x", "--source", "{empty}"], 1, "has no files to stage"),
]


def _subcommands(group: click.Group) -> list[click.Command]:
    ctx = click.Context(group)  # asked as `dmzpub --help` asks: the main group loads commands lazily
    return [command for name in group.list_commands(ctx) if (command := group.get_command(ctx, name))]


def _all_commands(group: click.Group) -> list[click.Context]:
    contexts = []
    for cmd in _subcommands(group):
        ctx = click.Context(cmd, parent=click.Context(main, info_name="dmzpub"), info_name=cmd.name)
        contexts.append(ctx)
        if isinstance(cmd, click.Group):
            contexts += [click.Context(sub, parent=ctx, info_name=sub.name) for sub in _subcommands(cmd)]
    return contexts


@pytest.mark.parametrize("ctx", _all_commands(main), ids=lambda c: c.command_path)
def test_every_command_declares_its_side(ctx: click.Context) -> None:
    assert needs_of(ctx).side in (Side.DMZ, Side.INTRANET)


def test_every_command_a_module_offers_is_listed_with_that_module() -> None:
    offered = {}
    for module_name in set(COMMANDS.values()):
        module = importlib.import_module(f"oai_server.cli.{module_name}")
        offered.update({command.name: module_name for command in module.COMMANDS})
    assert offered == COMMANDS


def test_an_intranet_command_starts_without_flask_paramiko_or_the_stores() -> None:
    # A fresh interpreter: what `dmzpub sync` imports before it runs, not what this test session has loaded.
    probe = (
        "import sys; from oai_server.cli import main; main.get_command(None, 'sync');"
        " print(sorted(m for m in ('flask', 'paramiko', 'jsonschema', 'oai_server.store') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_an_intranet_command_cannot_build_the_dmz_app() -> None:
    @command(Needs(Side.INTRANET, ("DMZPUB_DATA_DIR",)))
    @click.pass_context
    def sneaky(ctx: click.Context) -> None:
        dmz_app(ctx)

    with pytest.raises(RuntimeError, match="intranet command"):
        CliRunner().invoke(sneaky, [], catch_exceptions=False)


def test_a_command_naming_an_unknown_setting_is_refused_when_written() -> None:
    with pytest.raises(ValueError, match="DMZPUB_NO_SUCH"):
        Needs(Side.INTRANET, ("DMZPUB_NO_SUCH",))


@pytest.mark.parametrize(
    ("args", "code", "expected"), INTRANET_RUNS, ids=lambda v: " ".join(v) if isinstance(v, list) else ""
)
def test_intranet_commands_ignore_broken_dmz_settings_and_create_no_signing_key(
    tmp_path: Path, args: list[str], code: int, expected: str
) -> None:
    doc = tmp_path / "doc.json"
    doc.write_text(
        json.dumps(
            {
                "doi": "10.5555/x",
                "title": "T",
                "creator": ["A, B"],
                "publisher": "P",
                "publicationYear": 2024,
                "status": "registered",
            }
        )
    )
    (tmp_path / "empty").mkdir()
    argv = [a.format(doc=doc, empty=tmp_path / "empty") for a in args]
    result = subprocess.run(
        dmzpub(*argv), env=cli_env(tmp_path, **BROKEN_DMZ), capture_output=True, text=True, timeout=120
    )
    assert (result.returncode, expected in result.stdout + result.stderr) == (code, True), result.stderr
    assert "DMZPUB_BASE_URL" not in result.stderr and "DMZPUB_OAI_PAGE_SIZE" not in result.stderr
    assert not (tmp_path / "var" / "secret_key").exists()


def test_dmz_commands_stop_on_a_broken_dmz_setting(tmp_path: Path) -> None:
    result = subprocess.run(
        dmzpub("check-config"), env=cli_env(tmp_path, **BROKEN_DMZ), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 78 and "DMZPUB_BASE_URL" in result.stderr


def test_the_command_line_imports_without_a_cycle_from_any_module() -> None:
    for module in (
        "oai_server.cli.download",
        "oai_server.cli.publisher",
        "oai_server.cli.pipeline",
        "oai_server.cli.dmz",
        "oai_server.cli",
    ):
        done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
