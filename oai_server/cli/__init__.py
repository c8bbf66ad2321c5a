"""The `dmzpub` command line: one group; each command module lists its commands in COMMANDS.

To add a command: write it in a module of this package with `sides.command(needs)` (or
`sides.group`), add it to that module's COMMANDS, and list a new module in COMMAND_MODULES.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from . import dmz, download, pipeline, publisher, store
from .dmz import load_demo, stage_demo_files
from .sides import MainGroup

COMMAND_MODULES = (dmz, publisher, download, pipeline, store)


@click.group(cls=MainGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dmzpub", prog_name="dmzpub", message="%(prog)s %(version)s")
def main() -> None:
    """dmzpub: publish SciCat records in the DMZ (OAI-PMH, landing pages, downloads)."""
    from ..logs import setup_from_environment

    setup_from_environment()  # every command, either side, logs in the one format


for _module in COMMAND_MODULES:
    for _command in _module.COMMANDS:
        main.add_command(_command)


def run(argv: list[str] | None = None) -> Any:
    """Entry point with standalone error handling."""
    return main.main(args=argv if argv is not None else sys.argv[1:], prog_name="dmzpub")


__all__ = ["COMMAND_MODULES", "load_demo", "main", "run", "stage_demo_files"]
