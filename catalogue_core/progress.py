"""The one progress abstraction of long work (sync, reconcile, delivery, staging); the CLI draws it.

Work runs in stages, each counting units (records or bytes) towards an optional total; a stage
may run items (a file being copied) with their own count. This base class reports nothing: it is
what work gets by default and what --json, cron and tests use. oai_server/cli/progress.py draws it.
"""

from __future__ import annotations

from collections.abc import Callable

RECORDS = "records"
BYTES = "bytes"


class Progress:
    """Receive progress and report nothing; subclasses draw it."""

    def stage(self, label: str, total: int | None = None, unit: str = RECORDS, items: int | None = None) -> None:
        """Start a stage of `total` units, run as `items` items if it has any (closing the previous one)."""

    def advance(self, n: int = 1) -> None:
        """Count `n` more units done in the current stage."""

    def item(self, name: str, size: int) -> Callable[[int], None]:
        """Start one item of the stage (a file of `size` units); return a callback taking units done."""
        return self.advance

    def done(self, name: str, size: int, outcome: str) -> None:
        """Report an item finished: copied, resumed, skipped or failed: <why>."""

    def close(self) -> None:
        """Finish the current stage."""
