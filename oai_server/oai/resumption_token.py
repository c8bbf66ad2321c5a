"""Stateless, signed resumption tokens: the list's frozen query plus a keyset position."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, Signer, URLSafeSerializer
from itsdangerous.encoding import base64_encode, want_bytes

from catalogue_core.store import ListQuery

from .errors import BadResumptionToken

# A token is valid this long after the list was started (its watermark). Keyset positions
# never go stale, so this only bounds how old completeListSize may get.
TOKEN_LIFETIME = timedelta(days=7)
_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_VERSION = 1
SALT = "dmzpub.oai.resumption-token"
# Tokens whose state a codec remembers having signed (the newest; each ~1 KB).
ISSUED_KEPT = 1024


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


class _Signer(Signer):
    """itsdangerous's signer, deriving its key once (it derived it again for every signature)."""

    @functools.cached_property
    def _derived(self) -> bytes:
        return super().derive_key()

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        return self._derived if secret_key is None else super().derive_key(secret_key)


class _Serializer(URLSafeSerializer):
    """itsdangerous's URL-safe signed JSON, written uncompressed and signed by one signer made once."""

    def dump_payload(self, obj: object) -> bytes:
        # Never zlib-compressed: a fresh deflate state per token cost more than the rest of it. Readers
        # (this one, and releases before) accept both forms, so every token issued before stays valid.
        return base64_encode(want_bytes(self.serializer.dumps(obj, **self.serializer_kwargs)))

    @functools.cached_property
    def _signer(self) -> Signer:
        return super().make_signer(None)

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        return self._signer if salt is None else super().make_signer(salt)


class TokenCodec:
    """Sign list states into tokens and check them back; the same state gives the same token."""

    def __init__(self, secret: str | Callable[[], str]) -> None:
        self._secret = secret
        self._ready: _Serializer | None = None
        # A harvester sends each token back once, mostly to the worker that signed it (keep-alive):
        # remembering the states signed here spares checking and parsing them again (~3 % of a page).
        self._issued: dict[str, ListState] = {}
        self._issued_lock = threading.Lock()

    @property
    def _serializer(self) -> _Serializer:
        # The key may be resolved late (its file could not be read at start); racing threads
        # resolve the same key, so no lock is needed.
        if self._ready is None:
            secret = self._secret() if callable(self._secret) else self._secret
            self._ready = _Serializer(secret, salt=SALT, signer=_Signer)
        return self._ready

    def encode(self, state: ListState) -> str:
        """Return the signed token of a state."""
        after = list(state.after) if state.after else None
        token = self._serializer.dumps(
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
        with self._issued_lock:
            self._issued[token] = state
            if len(self._issued) > ISSUED_KEPT:
                del self._issued[next(iter(self._issued))]  # the oldest: dicts keep insertion order
        return token

    def decode(self, token: str, verb: str, now: str) -> ListState:
        """Return the state of a token issued for `verb`; raise BadResumptionToken otherwise."""
        state = self._issued.get(token) or self._load(token)
        if state.verb != verb:
            raise BadResumptionToken(f"the resumptionToken belongs to {state.verb}, not {verb}")
        if now > state.expires:
            raise BadResumptionToken(f"the resumptionToken expired at {state.expires}; start the list again")
        return state

    def _load(self, token: str) -> ListState:
        """Return the state a token carries once its signature is checked; raise BadResumptionToken otherwise."""
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
        return state
