"""The one error a bad setting raises (its own module: setting parsers elsewhere raise it without a cycle)."""

from __future__ import annotations

import click


class ConfigError(Exception):
    """A setting has a bad value; the message names the variable and the fix."""

    def __init__(self, name: str, problem: str, fix: str) -> None:
        self.name = name
        super().__init__(f"{name}: {problem}. Fix: {fix}")


class ConfigurationError(click.ClickException):
    """A bad setting: exit status 78 (EX_CONFIG), on which the systemd unit stops instead of restarting."""

    exit_code = 78
