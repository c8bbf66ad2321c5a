"""The audit trail: one log line per push, amendment and withdrawal, naming who did it, never the secret."""

from __future__ import annotations

import logging

from flask import g

from . import access_line
from .logs import request_id

log = logging.getLogger("dmzpub.audit")


def set_actor(name: str) -> None:
    """Remember who is calling, for this request's audit lines (a token's name or `basic:<user>`)."""
    g.actor = name


def actor() -> str:
    """Return who is calling, or '-' when nobody authenticated."""
    return g.get("actor", "-")


def written(action: str, doi: str, outcome: str, who: str | None = None) -> None:
    """Record a write: action `publish` or `withdraw`; outcome created, updated (an amendment), unchanged, withdrawn.

    `who` is the caller when the request has no Flask context to remember it in (the API's fast PUT).
    """
    who = actor() if who is None else who
    # A bulk push writes one line per record: dmzpub's text set-up takes the access line's direct write.
    if log.isEnabledFor(logging.INFO) and access_line.info(log, request_id(), f"{action} {doi}: {outcome} by {who}"):
        return
    log.info(
        "%s %s: %s by %s",
        action,
        doi,
        outcome,
        who,
        extra={"audit": True, "who": who, "action": action, "doi": doi, "outcome": outcome},
    )


def refused(action: str, doi: str, status: int, why: str, who: str | None = None) -> None:
    """Record a write that was refused (unauthenticated, invalid, too large...); `who` as for `written`."""
    who = actor() if who is None else who
    log.warning(
        "%s %s: refused (HTTP %s, %s) for %s",
        action,
        doi,
        status,
        why,
        who,
        extra={"audit": True, "who": who, "action": action, "doi": doi, "outcome": "refused", "status": status},
    )
