"""How long-running publisher work reports progress; the command line draws it as a bar."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Receive progress: a stage with an optional total, then advances."""

    def stage(self, label: str, total: int | None = None) -> None:
        """Start a new stage (closing the previous one)."""

    def advance(self, n: int = 1) -> None:
        """Count `n` more units done in the current stage."""

    def close(self) -> None:
        """Finish the current stage."""


class NoProgress:
    """Report nothing (the default off a terminal)."""

    def stage(self, label: str, total: int | None = None) -> None:
        """Ignore the stage."""

    def advance(self, n: int = 1) -> None:
        """Ignore the advance."""

    def close(self) -> None:
        """Do nothing."""
