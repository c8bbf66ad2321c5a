"""Stateless, signed resumption tokens: the list's frozen query plus a keyset position."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from catalogue_core.store import ListQuery

from .errors import BadResumptionToken

# A token is valid this long after the list was started (its watermark). Keyset positions
# never go stale, so this only bounds how old completeListSize may get.
TOKEN_LIFETIME = timedelta(days=7)
_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_VERSION = 1


@dataclass(frozen=True)
class ListState:
    """Where a list harvest stands; `until` is frozen at the harvest watermark of the first page."""

    verb: str
    metadata_prefix: str
    from_: str | None
    until: str
    set_spec: str | None
    watermark: str
    total: int
    cursor: int = 0
    after: tuple[str, str] | None = None

    @property
    def query(self) -> ListQuery:
        """Return the store query of the list."""
        return ListQuery(from_=self.from_, until=self.until, set_spec=self.set_spec)

    @property
    def expires(self) -> str:
        """Return when tokens of this list stop being accepted."""
        return _expires(self.watermark)

    def advance(self, served: int, last: tuple[str, str]) -> ListState:
        """Return the state after a page of `served` records ending at `last`."""
        return replace(self, cursor=self.cursor + served, after=last)


@functools.lru_cache(maxsize=256)
def _expires(watermark: str) -> str:
    # Every page of a list asks twice (decode, next token); strptime was a tenth of a page's work.
    return (datetime.strptime(watermark, _FORMAT).replace(tzinfo=UTC) + TOKEN_LIFETIME).strftime(_FORMAT)


class TokenCodec:
    """Sign list states into tokens and check them back; the same state gives the same token."""

    def __init__(self, secret: str | Callable[[], str]) -> None:
        self._secret = secret
        self._ready: URLSafeSerializer | None = None

    @property
    def _serializer(self) -> URLSafeSerializer:
        # The key may be resolved late (its file could not be read at start); racing threads
        # resolve the same key, so no lock is needed.
        if self._ready is None:
            secret = self._secret() if callable(self._secret) else self._secret
            self._ready = URLSafeSerializer(secret, salt="dmzpub.oai.resumption-token")
        return self._ready

    def encode(self, state: ListState) -> str:
        """Return the signed token of a state."""
        after = list(state.after) if state.after else None
        return self._serializer.dumps(
            [
                _VERSION,
                state.verb,
                state.metadata_prefix,
                state.from_,
                state.until,
                state.set_spec,
                state.watermark,
                state.total,
                state.cursor,
                after,
            ]
        )

    def decode(self, token: str, verb: str, now: str) -> ListState:
        """Return the state of a token issued for `verb`; raise BadResumptionToken otherwise."""
        try:
            fields = self._serializer.loads(token)
        except BadSignature:
            raise BadResumptionToken("the resumptionToken was not issued by this repository or was altered") from None
        try:
            version, token_verb, prefix, from_, until, set_spec, watermark, total, cursor, after = fields
            if version != _VERSION:
                raise ValueError(version)
            state = ListState(
                token_verb, prefix, from_, until, set_spec, watermark, total, cursor, tuple(after) if after else None
            )
        except (TypeError, ValueError):
            raise BadResumptionToken("the resumptionToken is not in a format this repository reads") from None
        if token_verb != verb:
            raise BadResumptionToken(f"the resumptionToken belongs to {token_verb}, not {verb}")
        if now > state.expires:
            raise BadResumptionToken(f"the resumptionToken expired at {state.expires}; start the list again")
        return state
