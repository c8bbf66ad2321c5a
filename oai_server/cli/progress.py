"""Progress bars for long intranet commands, drawn only when stderr is a terminal."""

from __future__ import annotations

import sys
from typing import Any


class Bar:
    """Draw progress with rich on a terminal; stay silent otherwise (cron, pipes, tests)."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self._progress: Any = None
        self._task: Any = None

    def stage(self, label: str, total: int | None = None) -> None:
        """Start a bar for a stage."""
        self.close()
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("records"),
                TimeElapsedColumn(),
                console=Console(file=sys.stderr),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(label, total=total)

    def advance(self, n: int = 1) -> None:
        """Move the bar on."""
        if self._progress is not None:
            self._progress.advance(self._task, n)

    def close(self) -> None:
        """Remove the bar."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
