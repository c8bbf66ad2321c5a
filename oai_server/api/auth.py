"""Authenticate pushers: bearer tokens (and HTTP Basic for SciCat), compared in constant time."""

from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request
from werkzeug.exceptions import HTTPException

from catalogue_core.errors import InvalidRecord

from .. import audit
from ..problems import APIProblem, invalid_record_status
from ..scicat_credentials import basic_pairs
from .tokens import Token, TokenBook, match

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="dmzpub"'}
WRITES = {"PUT": "publish", "POST": "publish", "DELETE": "withdraw"}


def init_app(app: Flask) -> None:
    """Load the tokens and SciCat's Basic pairs; the tokens file is re-read whenever it changes."""
    app.extensions["dmzpub.tokens"] = TokenBook(app.config["DMZPUB_PUSH_TOKENS"], app.config["DMZPUB_PUSH_TOKENS_FILE"])
    # Named by their user: `basic:<user>` in audit lines, never the password.
    app.extensions["dmzpub.scicat_basic"] = tuple(
        Token(f"basic:{p.partition(':')[0]}", p.encode()) for p in basic_pairs(app.config)
    )


def _check_network(allowed: Any, remote_addr: str | None) -> None:
    if not allowed:
        return
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        address = None
    if address is None or not any(address in net for net in allowed):
        raise APIProblem(403, "Forbidden", f"{remote_addr} is not in DMZPUB_PUSH_ALLOW_CIDRS")


def _authenticated(header: str, tokens: tuple[Token, ...], pairs: tuple[Token, ...]) -> str | None:
    """Return the name of the bearer token or Basic pair (of `pairs`, when they are allowed) the header gives."""
    scheme, _, credentials = header.partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer" and credentials:
        return match(credentials.encode(), tokens)
    if pairs and scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True)
        except (binascii.Error, ValueError):
            return None
        return match(decoded, pairs)
    return None


def pusher(app: Flask, remote_addr: str | None, authorization: str, allow_basic: bool = False) -> str:
    """Return who the request pushes as (a token's name or `basic:<user>`): only configured pushers from allowed
    networks get through (APIProblem 403/401 otherwise). Reads `app` itself: needs no Flask context."""
    _check_network(app.config["DMZPUB_PUSH_ALLOW_CIDRS"], remote_addr)
    tokens: tuple[Token, ...] = app.extensions["dmzpub.tokens"].tokens()
    pairs: tuple[Token, ...] = app.extensions["dmzpub.scicat_basic"] if allow_basic else ()
    if not tokens and not pairs:
        raise APIProblem(
            403,
            "Push disabled",
            "no push credentials are configured: set DMZPUB_PUSH_TOKENS",
        )
    name = _authenticated(authorization, tokens, pairs)
    if name is None:
        headers = dict(CHALLENGE)
        if allow_basic:
            headers["WWW-Authenticate"] += ', Basic realm="dmzpub"'
        raise APIProblem(401, "Unauthorized", "a valid Authorization header is required", headers=headers)
    return name


def check_pusher(remote_addr: str | None, authorization: str, allow_basic: bool = False) -> None:
    """Let only configured pushers from allowed networks through (APIProblem 403/401 otherwise); note who it is."""
    audit.set_actor(pusher(current_app, remote_addr, authorization, allow_basic))


def audit_refusal(action: str | None, target: str, exc: Exception, who: str | None = None) -> None:
    """Leave the audit line of a write refused by `exc` (an APIProblem, InvalidRecord or HTTPException); `who`
    as audit.refused takes it."""
    if not action or not isinstance(exc, (APIProblem, InvalidRecord, HTTPException)):
        return
    status = (
        exc.status
        if isinstance(exc, APIProblem)
        else invalid_record_status(exc)
        if isinstance(exc, InvalidRecord)
        else exc.code or 500
    )
    why = exc.title if isinstance(exc, (APIProblem, InvalidRecord)) else exc.name
    audit.refused(action, target, status, why, who)


def _audited(view: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a view; when a write is refused, leave an audit line before the error answers."""
    try:
        return view(*args, **kwargs)
    except (APIProblem, InvalidRecord, HTTPException) as exc:
        audit_refusal(WRITES.get(request.method), _target(), exc)
        raise


def _target() -> str:
    """Return the DOI a write names in its path, or `*` for a bulk POST."""
    return (request.view_args or {}).get("doi") or (request.view_args or {}).get("encoded") or "*"


def require_pusher(allow_basic: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Guard a view: only configured pushers from allowed networks get through."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            return _audited(_guarded, *args, **kwargs)

        def _guarded(*args: Any, **kwargs: Any) -> Any:
            check_pusher(request.remote_addr, request.headers.get("Authorization", ""), allow_basic)
            return view(*args, **kwargs)

        return wrapped

    return decorate
