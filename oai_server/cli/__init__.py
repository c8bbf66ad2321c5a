"""The `dmzpub` command line: one group; each command is imported from its module only when it runs.

To add a command: write it in a module of this package with `sides.command(needs)` (or
`sides.group`), add it to that module's COMMANDS, and its name and module to COMMANDS here.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from .sides import MainGroup

# Each command's module. Only the running command's is imported: `dmzpub sync` starts without paramiko, Flask or
# the stores, ~0.6 s sooner than with every module loaded (tests/test_cli_sides.py checks this against the modules).
COMMANDS = {
    "cache": "download",
    "check-config": "dmz",
    "export": "store",
    "import": "store",
    "migrate": "store",
    "outbox": "publisher",
    "push": "publisher",
    "reconcile": "publisher",
    "reindex": "dmz",
    "serve": "dmz",
    "stage": "download",
    "stage-worker": "pipeline",
    "sync": "publisher",
    "withdraw": "publisher",
}


class LazyGroup(MainGroup):
    """The main group: it lists COMMANDS and imports a command's module when the command is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"{__name__}.{COMMANDS[cmd_name]}")
        return next(command for command in module.COMMANDS if command.name == cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dmzpub", prog_name="dmzpub", message="%(prog)s %(version)s")
def main() -> None:
    """dmzpub: publish SciCat records in the DMZ (OAI-PMH, landing pages, downloads)."""
    from ..logs import setup_from_environment

    setup_from_environment()  # every command, either side, logs in the one format


def run(argv: list[str] | None = None) -> Any:
    """Entry point with standalone error handling."""
    return main.main(args=argv if argv is not None else sys.argv[1:], prog_name="dmzpub")


__all__ = ["COMMANDS", "main", "run"]
