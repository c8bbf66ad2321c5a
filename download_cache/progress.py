"""Stage progress: rich bars (per file and overall) on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import IO, Any


class Progress:
    """Report nothing (scripts using --json, and tests)."""

    def start(self, files: int, total_bytes: int) -> None:
        """Announce the whole stage."""

    def file(self, path: str, size: int) -> Callable[[int], None]:
        """Announce one file being copied; return a callback taking bytes copied."""
        return lambda n: None

    def done(self, path: str, size: int, outcome: str) -> None:
        """Report a file finished: copied, resumed, skipped or failed: <why>."""

    def close(self) -> None:
        """Finish the display."""


class LineProgress(Progress):
    """One plain line per finished file, for logs and pipes."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self._lock = threading.Lock()
        self.files = self.finished = 0

    def start(self, files: int, total_bytes: int) -> None:
        """Announce the whole stage."""
        self.files = files
        self._write(f"staging {files} file(s), {total_bytes} bytes")

    def done(self, path: str, size: int, outcome: str) -> None:
        """Log one line per finished file."""
        with self._lock:
            self.finished += 1
            number = self.finished
        self._write(f"[{number}/{self.files}] {outcome} {path} ({size} bytes)")

    def _write(self, line: str) -> None:
        with self._lock:
            print(line, file=self.stream, flush=True)


class RichProgress(Progress):
    """An overall bar and one bar per file being copied."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
        from rich.progress import Progress as Bars

        self.bars = Bars(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._tasks: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.overall: Any = None

    def start(self, files: int, total_bytes: int) -> None:
        """Show the overall bar."""
        self.bars.start()
        self.overall = self.bars.add_task(f"all {files} file(s)", total=total_bytes)

    def file(self, path: str, size: int) -> Callable[[int], None]:
        """Show a bar for the file; return its advance callback."""
        with self._lock:
            task = self.bars.add_task(path if len(path) < 40 else "…" + path[-39:], total=size)
            self._tasks[path] = task

        def advance(amount: int) -> None:
            self.bars.update(task, advance=amount)
            self.bars.update(self.overall, advance=amount)

        return advance

    def done(self, path: str, size: int, outcome: str) -> None:
        """Drop the file's bar; count a skipped file in the overall bar."""
        with self._lock:
            task = self._tasks.pop(path, None)
        if task is not None:
            self.bars.remove_task(task)
        if outcome == "skipped":
            self.bars.update(self.overall, advance=size)
        elif outcome.startswith("failed"):
            self.bars.console.print(f"{outcome} {path}", markup=False)

    def close(self) -> None:
        """Stop the display."""
        self.bars.stop()


def choose(json_output: bool, stream: IO[str] | None = None) -> Progress:
    """Return rich bars on a terminal, plain lines otherwise, nothing with --json."""
    if json_output:
        return Progress()
    stream = stream or sys.stderr
    if stream.isatty():
        return RichProgress()
    return LineProgress(stream)
