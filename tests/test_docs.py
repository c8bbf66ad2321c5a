"""The README documents every setting and every CLI command."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from oai_server.cli import main
from oai_server.config import SETTINGS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "dmzpub") -> list[str]:
    out, ctx = [], click.Context(group)
    for name in group.list_commands(ctx):  # asked as `dmzpub --help` asks: the main group loads commands lazily
        command = group.get_command(ctx, name)
        out.append(f"{prefix} {name}")
        if isinstance(command, click.Group):
            out.extend(_commands(command, f"{prefix} {name}"))
    return out


@pytest.mark.parametrize("name", [s.name for s in SETTINGS])
def test_every_setting_is_in_the_readme(name: str) -> None:
    assert f"`{name}`" in README


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_has_a_one_line_docstring(setting: object) -> None:
    assert setting.doc and "\n" not in setting.doc and setting.doc.endswith(".")


@pytest.mark.parametrize("command", _commands(main))
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"`{command}" in README


def test_readme_gives_the_two_commands() -> None:
    assert "make serve" in README and "make test" in README
