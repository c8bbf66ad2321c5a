"""Order per DOI on MongoDB: the sequence rules, and the retry of a write another write got in before."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pymongo.errors import DuplicateKeyError

T = TypeVar("T")


class Conflict(Exception):
    """Another write changed the record between our read and our write: run the whole step again."""


def later(a: int | None, b: int | None) -> int | None:
    """Return the later of two sequences (None: none known)."""
    return b if a is None else a if b is None else max(a, b)


def is_stale(sequence: int | None, held: int | None) -> bool:
    """Return True when a write's sequence is older than the DOI's last (writes without one always apply)."""
    return sequence is not None and held is not None and sequence < held


def until_settled(step: Callable[[], T]) -> T:
    """Run `step` again until no concurrent write got in between its read and its guarded write.

    Each step reads, then writes one document under a guard on what it read; a lost guard or a
    duplicate key (a concurrent create) means it must read again.
    """
    while True:
        try:
            return step()
        except (Conflict, DuplicateKeyError):
            continue
