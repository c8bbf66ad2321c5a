"""Authenticate pushers: bearer tokens (and HTTP Basic for SciCat), compared in constant time."""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import ipaddress
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request

from ..problems import APIProblem
from ..scicat_credentials import basic_pairs

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="dmzpub"'}


def _tokens(app: Flask) -> tuple[bytes, ...]:
    tokens = list(app.config["DMZPUB_PUSH_TOKENS"])
    path = app.config["DMZPUB_PUSH_TOKENS_FILE"]
    if path:
        # Strip first: an indented `# old-token` is a comment, not a live token.
        lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
        tokens += [line for line in lines if line and not line.startswith("#")]
    return tuple(t.encode() for t in tokens)


def init_app(app: Flask) -> None:
    """Read the allowed tokens and SciCat's Basic pairs once per process."""
    app.extensions["dmzpub.tokens"] = _tokens(app)
    app.extensions["dmzpub.scicat_basic"] = tuple(p.encode() for p in basic_pairs(app.config))


def _matches(candidate: bytes, allowed: tuple[bytes, ...]) -> bool:
    # Compare against every allowed value so timing does not tell which one (or none) matched.
    found = False
    for value in allowed:
        found |= hmac.compare_digest(candidate, value)
    return found


def _check_network() -> None:
    allowed = current_app.config["DMZPUB_PUSH_ALLOW_CIDRS"]
    if not allowed:
        return
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        address = None
    if address is None or not any(address in net for net in allowed):
        raise APIProblem(403, "Forbidden", f"{request.remote_addr} is not in DMZPUB_PUSH_ALLOW_CIDRS")


def _authenticated(allow_basic: bool) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer" and credentials:
        return _matches(credentials.encode(), current_app.extensions["dmzpub.tokens"])
    pairs = current_app.extensions["dmzpub.scicat_basic"]
    if allow_basic and pairs and scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True)
        except (binascii.Error, ValueError):
            return False
        return _matches(decoded, pairs)
    return False


def require_pusher(allow_basic: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Guard a view: only configured pushers from allowed networks get through."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            _check_network()
            configured = current_app.extensions["dmzpub.tokens"] or (
                allow_basic and current_app.extensions["dmzpub.scicat_basic"]
            )
            if not configured:
                raise APIProblem(
                    403,
                    "Push disabled",
                    "no push credentials are configured: set DMZPUB_PUSH_TOKENS",
                )
            if not _authenticated(allow_basic):
                headers = dict(CHALLENGE)
                if allow_basic:
                    headers["WWW-Authenticate"] += ', Basic realm="dmzpub"'
                raise APIProblem(401, "Unauthorized", "a valid Authorization header is required", headers=headers)
            return view(*args, **kwargs)

        return wrapped

    return decorate
