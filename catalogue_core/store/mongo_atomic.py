"""One record write and its per-DOI sequence claim as one atomic step on MongoDB."""

from __future__ import annotations

import itertools
import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from pymongo import MongoClient
from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.errors import ConfigurationError, DuplicateKeyError, OperationFailure

log = logging.getLogger(__name__)
T = TypeVar("T")
WRITE_CONFLICT = 112


class Conflict(Exception):
    """Another write changed the record between our read and our write: run the whole step again."""


def supports_transactions(client: MongoClient, probe: Collection) -> bool:
    """Return True when the deployment runs multi-document transactions (a replica set, mongos, mongoeco).

    Asked by trying one: a standalone mongod refuses transaction numbers (IllegalOperation).
    """
    try:
        with client.start_session() as session, session.start_transaction():
            probe.find_one({"_id": "transaction_probe"}, session=session)
    except (ConfigurationError, OperationFailure) as exc:
        log.warning(
            "MongoDB runs no transactions (%s): a write claims its DOI's sequence just before it, "
            "so a crash between them can only refuse an older write the publisher then resends as superseded",
            exc,
        )
        return False
    return True


def run_atomic(client: MongoClient, transactions: bool, step: Callable[[ClientSession | None], T]) -> T:
    """Run `step` in one transaction (or, without transactions, on its own) until no concurrent write interferes.

    A duplicate key inside a transaction aborts it (MongoDB aborts on any write error), so both it
    and a lost optimistic guard restart the whole step, which then reads the other write's result.
    """
    for attempt in itertools.count():
        try:
            if not transactions:
                return step(None)
            with client.start_session() as session:
                return session.with_transaction(step)
        except (Conflict, DuplicateKeyError):
            continue
        except OperationFailure as exc:
            if not _write_conflict(exc):
                raise
            time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))  # let the other writer finish
    raise AssertionError("unreachable")


def _write_conflict(exc: OperationFailure) -> bool:
    # MongoDB labels a write conflict TransientTransactionError (with_transaction retries those itself,
    # for a while); mongoeco answers a plain failure naming it.
    return (
        exc.code == WRITE_CONFLICT
        or exc.has_error_label("TransientTransactionError")
        or "write conflict" in str(exc).lower()
    )
