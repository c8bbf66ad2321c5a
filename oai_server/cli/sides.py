"""Which side of the firewall a command runs on, and the one way it reaches its settings."""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from catalogue_core.errors import StoreError
from catalogue_core.store.schema import SchemaMismatch

from ..config import BY_NAME, ConfigError
from ..config_error import ConfigurationError

if TYPE_CHECKING:
    from flask import Flask


class Side(enum.Enum):
    """DMZ commands build the DMZ app; intranet commands read only the settings they declare."""

    DMZ = "dmz"
    INTRANET = "intranet"


@dataclass(frozen=True)
class Needs:
    """What a command needs: its side and, on the intranet, the only settings it may read."""

    side: Side
    settings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [name for name in self.settings if name not in BY_NAME]
        if unknown:  # a typo here would silently read nothing
            raise ValueError(f"unknown settings {unknown}")


DMZ = Needs(Side.DMZ)


class SidedCommand(click.Command):
    """A command that declares its needs."""

    def __init__(self, *args: Any, needs: Needs, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.needs = needs


class SidedGroup(click.Group):
    """A group whose subcommands share its needs."""

    def __init__(self, *args: Any, needs: Needs, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.needs = needs


def command(needs: Needs, name: str | None = None, **kwargs: Any) -> Callable[[Callable[..., Any]], SidedCommand]:
    """Declare a `dmzpub` command and what it needs (list it in its module's COMMANDS)."""
    return click.command(name, cls=SidedCommand, needs=needs, **kwargs)


def group(needs: Needs, name: str | None = None, **kwargs: Any) -> Callable[[Callable[..., Any]], SidedGroup]:
    """Declare a `dmzpub` command group and what its subcommands need."""
    return click.group(name, cls=SidedGroup, needs=needs, **kwargs)


def needs_of(ctx: click.Context) -> Needs:
    """Return the needs declared by the running command or the nearest group above it."""
    here: click.Context | None = ctx
    while here is not None:
        needs = getattr(here.command, "needs", None)
        if isinstance(needs, Needs):
            return needs
        here = here.parent
    raise RuntimeError(f"command {ctx.command_path!r} declares no side: make it with sides.command()")


def dmz_app(ctx: click.Context) -> Flask:
    """Return the DMZ app given by the caller (tests) or build it from the environment."""
    if needs_of(ctx).side is not Side.DMZ:
        raise RuntimeError(f"{ctx.command_path} is an intranet command: it must not build the DMZ app")
    root = ctx.find_root()
    if (given := app_given(root.obj)) is not None:
        return given
    from .. import create_app

    try:
        root.obj = create_app()
    except ConfigError as exc:
        raise ConfigurationError(f"configuration error: {exc}") from None
    return root.obj


def app_given(obj: object) -> Flask | None:
    """Return `obj` if it is a Flask app (tests hand one in as the context's object), else None."""
    # Flask is not imported to ask: intranet commands start without it (~0.25 s); no app exists unless it is loaded.
    flask = sys.modules.get("flask")
    return obj if flask is not None and isinstance(obj, flask.Flask) else None


def settings(ctx: click.Context, names: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Return the settings the command declares (or those of them named), parsed; nothing else is read."""
    needs = needs_of(ctx)
    if needs.side is Side.DMZ:
        return dict(dmz_app(ctx).config)
    wanted = needs.settings if names is None else names
    if undeclared := set(wanted) - set(needs.settings):
        raise RuntimeError(f"{ctx.command_path} reads {sorted(undeclared)} without declaring them in its Needs")
    obj = ctx.find_root().obj
    if (app := app_given(obj)) is not None:
        return {name: app.config[name] for name in wanted}
    source: Mapping[str, Any] = obj if isinstance(obj, Mapping) else os.environ
    values = {}
    for name in wanted:
        raw = source.get(name, BY_NAME[name].default or "")
        try:
            values[name] = BY_NAME[name].parse(name, raw) if isinstance(raw, str) else raw
        except ConfigError as exc:
            raise ConfigurationError(f"configuration error: {exc}") from None
    return values


class MainGroup(click.Group):
    """Turn a store that does not answer into a one-line error naming the setting to check."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SchemaMismatch as exc:
            raise click.ClickException(str(exc)) from None  # it names its own fix (dmzpub migrate)
        except StoreError as exc:
            setting = "DMZPUB_MONGO_URI" if "MongoDB" in str(exc) else "DMZPUB_DATA_DIR"
            raise click.ClickException(f"the record store does not answer: {exc}. Fix: check {setting}") from None
