"""How commands draw progress (catalogue_core.progress): rich bars on a terminal, else lines or nothing."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import IO, Any

from catalogue_core.progress import BYTES, RECORDS, Progress


class LineProgress(Progress):
    """One plain line per stage and per finished item, for logs and pipes."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self._lock = threading.Lock()
        self.items: int | None = None
        self.finished = 0

    def stage(self, label: str, total: int | None = None, unit: str = RECORDS, items: int | None = None) -> None:
        """Log the stage."""
        self.finished, self.items = 0, items
        self._write(label + (f", {total} {unit}" if total is not None else ""))

    def done(self, name: str, size: int, outcome: str) -> None:
        """Log one line per finished item."""
        with self._lock:
            self.finished += 1
            number = self.finished
        self._write(f"[{number}/{self.items}] {outcome} {name} ({size} bytes)")

    def _write(self, line: str) -> None:
        with self._lock:
            print(line, file=self.stream, flush=True)


class RichProgress(Progress):
    """A bar for the stage and one per item under way (records counted, bytes with speed)."""

    def __init__(self) -> None:
        self.bars: Any = None
        self.overall: Any = None
        self._tasks: dict[str, Any] = {}
        self._lock = threading.Lock()

    def stage(self, label: str, total: int | None = None, unit: str = RECORDS, items: int | None = None) -> None:
        """Show a bar for the stage."""
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
        from rich.progress import Progress as Bars

        self.close()
        counts: tuple[Any, ...] = (
            (DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
            if unit == BYTES
            else (MofNCompleteColumn(), TextColumn(unit), TimeElapsedColumn())
        )
        # Record counts vanish when done; a copy's bars stay as its record.
        self.bars = Bars(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            *counts,
            console=Console(file=sys.stderr),
            transient=unit != BYTES,
        )
        self.bars.start()
        self.overall = self.bars.add_task(label, total=total)

    def advance(self, n: int = 1) -> None:
        """Move the stage's bar on."""
        if self.bars is not None:
            self.bars.advance(self.overall, n)

    def item(self, name: str, size: int) -> Callable[[int], None]:
        """Show a bar for the item; return its advance callback."""
        with self._lock:
            task = self.bars.add_task(name if len(name) < 40 else "…" + name[-39:], total=size)
            self._tasks[name] = task

        def advance(amount: int) -> None:
            self.bars.update(task, advance=amount)
            self.bars.update(self.overall, advance=amount)

        return advance

    def done(self, name: str, size: int, outcome: str) -> None:
        """Drop the item's bar; count a skipped item in the stage's bar."""
        with self._lock:
            task = self._tasks.pop(name, None)
        if task is not None:
            self.bars.remove_task(task)
        if outcome == "skipped":
            self.advance(size)
        elif outcome.startswith("failed"):
            self.bars.console.print(f"{outcome} {name}", markup=False)

    def close(self) -> None:
        """Stop the display."""
        if self.bars is not None:
            self.bars.stop()
            self.bars = None


def choose(quiet: bool = False, lines: bool = True, stream: IO[str] | None = None) -> Progress:
    """Return bars on a terminal; off one, plain lines if `lines` (stage logs) else nothing; nothing if `quiet`."""
    stream = stream or sys.stderr
    if quiet:
        return Progress()
    if stream.isatty():
        return RichProgress()
    return LineProgress(stream) if lines else Progress()
