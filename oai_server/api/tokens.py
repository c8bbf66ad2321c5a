"""Named push tokens from DMZPUB_PUSH_TOKENS and its file, re-read when the file changes."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
# `name:token`; a line without such a name is a bare token, as before names existed.
NAMED = re.compile(r"(?P<name>[A-Za-z][A-Za-z0-9._@-]{0,63}):(?P<secret>\S+)")


@dataclass(frozen=True)
class Token:
    """One allowed bearer token and the name logs and audit lines show instead of it."""

    name: str
    secret: bytes


def fingerprint(secret: str) -> str:
    """Return a name for an unnamed token that identifies it without revealing it."""
    return "token-" + hashlib.sha256(secret.encode()).hexdigest()[:8]


def parse(entries: Iterable[str]) -> tuple[Token, ...]:
    """Return the tokens of `name:token` or bare-token entries; blank entries and # comments are skipped."""
    tokens = []
    for entry in entries:
        entry = entry.strip()
        if not entry or entry.startswith("#"):
            continue
        named = NAMED.fullmatch(entry)
        name, secret = (named["name"], named["secret"]) if named else (fingerprint(entry), entry)
        tokens.append(Token(name, secret.encode()))
    return tuple(tokens)


def match(candidate: bytes, allowed: Iterable[Token]) -> str | None:
    """Return the name of the token equal to `candidate`, comparing with every one (timing tells nothing)."""
    found = None
    for token in allowed:
        if hmac.compare_digest(candidate, token.secret):
            found = token.name
    return found


class TokenBook:
    """The allowed tokens: the listed ones plus the file's, which is re-read whenever it changes."""

    def __init__(self, listed: Iterable[str], path: Path | None) -> None:
        self.listed = parse(listed)
        self.path = path
        self._seen: tuple[int, int, int] | None = None
        self._from_file: tuple[Token, ...] = ()
        self._lock = threading.Lock()
        self._refresh()

    def _refresh(self) -> None:
        if self.path is None:
            return
        try:
            info = os.stat(self.path)
            signature = (info.st_mtime_ns, info.st_size, info.st_ino)
            if signature == self._seen:
                return
            with self._lock:
                self._from_file = parse(self.path.read_text(encoding="utf-8").splitlines())
                self._seen = signature
            log.info("push tokens read from %s: %d", self.path, len(self._from_file))
        except (OSError, UnicodeDecodeError) as exc:
            # Keep the tokens last read: a file being replaced must not lock every pusher out.
            log.error("cannot read DMZPUB_PUSH_TOKENS_FILE %s (%s); keeping the tokens read before", self.path, exc)

    def tokens(self) -> tuple[Token, ...]:
        """Return every allowed token, re-reading the file first if it changed."""
        self._refresh()
        return self.listed + self._from_file
