"""Progress bars for long intranet commands, drawn only when stderr is a terminal."""

from __future__ import annotations

import sys
from typing import Any


class Bar:
    """Draw progress with tqdm on a terminal; stay silent otherwise (cron, pipes, tests)."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self._bar: Any = None

    def stage(self, label: str, total: int | None = None) -> None:
        """Start a bar for a stage."""
        self.close()
        if self.enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=label, unit="rec", file=sys.stderr, leave=False)

    def advance(self, n: int = 1) -> None:
        """Move the bar on."""
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
