"""Reindex the whole store: worker processes render pages of records while this process reads and writes them."""

from __future__ import annotations

import multiprocessing
import pickle
import warnings
from collections import deque
from collections.abc import Iterator
from multiprocessing.pool import AsyncResult
from typing import Any

from .record_writer import RecordWriter
from .store import Entry, Rerendered, WriteResult

PAGE = 500  # keys per keyset page read, rendered by one worker and written in one pair of commits

# The writer the forked workers render with: set before the fork, inherited, never pickled.
_WRITER: RecordWriter | None = None


def _render(stored: list[tuple[str, str, object, str]]) -> list[Entry | Rerendered]:
    assert _WRITER is not None, "set before the pool forked"
    try:
        # An unchanged record comes back as its renderings alone: half the bytes to pickle of a whole entry.
        return [_WRITER.reindexed(*record) for record in stored]
    except Exception as exc:
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:
            # One the parent could not unpickle would stop the pool's result thread and hang the reindex.
            raise RuntimeError(f"{type(exc).__name__}: {exc}") from None
        raise


def _pages(writer: RecordWriter) -> Iterator[list[str]]:
    """Yield every key, page by page in key order (keyset: each page costs the same at any depth)."""
    after = None
    while page := writer.store.list_keys(after, PAGE):
        yield [summary.key for summary in page]
        after = page[-1].key


def reindex_all(writer: RecordWriter, workers: int) -> tuple[int, int]:
    """Re-render every record with `workers` processes (1: in this one); return (keys looked at, records changed)."""
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return _serial(writer)
    global _WRITER
    _WRITER = writer
    try:
        with warnings.catch_warnings():
            # Forking a process with threads (the store's checkpointer, a MongoDB client's monitors) is
            # safe here: the workers only render in-memory records and never use what those threads hold.
            warnings.simplefilter("ignore", DeprecationWarning)
            pool = multiprocessing.get_context("fork").Pool(workers)
        with pool:
            return _parallel(writer, pool, workers)
    finally:
        _WRITER = None


def _serial(writer: RecordWriter) -> tuple[int, int]:
    total = changed = 0
    for keys in _pages(writer):
        total += len(keys)  # tombstones too: each key was looked at
        changed += _changed(writer.reindex_many(keys))
    return total, changed


def _parallel(writer: RecordWriter, pool: Any, workers: int) -> tuple[int, int]:
    total = changed = 0
    # A few pages in flight keep every worker busy while this process writes; more would only hold memory.
    pending: deque[AsyncResult[list[Entry | Rerendered]]] = deque()
    for keys in _pages(writer):
        total += len(keys)
        stored = [(s.key, s.doi, s.payload, s.content_hash) for s in writer.live(keys)]
        pending.append(pool.apply_async(_render, (stored,)))
        if len(pending) > 2 * workers:
            changed += _changed(writer.write_reindexed(pending.popleft().get()))
    while pending:
        changed += _changed(writer.write_reindexed(pending.popleft().get()))
    return total, changed


def _changed(results: list[WriteResult]) -> int:
    return sum(result.outcome != "unchanged" for result in results)
