"""Reindex the whole store: worker processes read, render and compare pages of records; this process writes."""

from __future__ import annotations

import multiprocessing
import pickle
import warnings
from collections import deque
from collections.abc import Iterator, Sequence
from multiprocessing.pool import AsyncResult
from typing import Any

from .record_writer import RecordWriter
from .store import Entry, Rerendered, WriteResult

PAGE = 500  # keys per keyset page: read, rendered and compared by one worker, written in one pair of commits

# The writer the forked workers render with: set before the fork, inherited, never pickled.
_WRITER: RecordWriter | None = None


def changes(writer: RecordWriter, keys: Sequence[str]) -> list[Entry | Rerendered]:
    """Return what a reindex writes for `keys`: live records whose content, renderings, sets or search text moved."""
    items: list[Entry | Rerendered] = []
    for stored, search in writer.store.reindex_sources(keys):
        item = writer.reindexed(stored.key, stored.doi, stored.payload, stored.content_hash, stored.payload_plain)
        # A record rendered exactly as stored would only be read and compared again by the write, then
        # left as it is: leaving it out here spares the write and (in a worker) sending it back.
        if isinstance(item, Entry) or (item.rendered, item.sets, item.search) != (stored.rendered, stored.sets, search):
            items.append(item)
    return items


def _forked() -> None:
    assert _WRITER is not None, "set before the pool forked"
    _WRITER.store.after_fork()  # each worker reads through connections of its own


def _render(keys: list[str]) -> list[Entry | Rerendered]:
    assert _WRITER is not None, "set before the pool forked"
    try:
        return changes(_WRITER, keys)
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
            # Forking a process with threads (the store's checkpointer, a MongoDB client's monitors) is safe
            # here: the workers open connections of their own and never use what those threads hold, and a
            # fork waits until the checkpoint thread is out of SQLite (sqlite_checkpoint: its mutexes).
            warnings.simplefilter("ignore", DeprecationWarning)
            pool = multiprocessing.get_context("fork").Pool(workers, initializer=_forked)
        with pool:
            return _parallel(writer, pool, workers)
    finally:
        _WRITER = None


def _serial(writer: RecordWriter) -> tuple[int, int]:
    total = changed = 0
    for keys in _pages(writer):
        total += len(keys)  # tombstones too: each key was looked at
        changed += _changed(writer.write_reindexed(changes(writer, keys)))
    return total, changed


def _parallel(writer: RecordWriter, pool: Any, workers: int) -> tuple[int, int]:
    total = changed = 0
    # A few pages in flight keep every worker busy while this process writes; more would only hold memory.
    pending: deque[AsyncResult[list[Entry | Rerendered]]] = deque()
    for keys in _pages(writer):
        total += len(keys)
        pending.append(pool.apply_async(_render, (keys,)))  # only the keys cross: each worker reads the records
        if len(pending) > 2 * workers:
            changed += _changed(writer.write_reindexed(pending.popleft().get()))
    while pending:
        changed += _changed(writer.write_reindexed(pending.popleft().get()))
    return total, changed


def _changed(results: list[WriteResult]) -> int:
    return sum(result.outcome != "unchanged" for result in results)
