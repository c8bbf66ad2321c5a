"""The request class of the app: a query string that is not ASCII is percent-encoded before anyone parses it."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, quote_from_bytes

from flask import Request

# Printable ASCII stays as sent (separators and existing %XX escapes keep their meaning).
_PRINTABLE = "".join(chr(code) for code in range(0x21, 0x7F))
# One C-level scan: a per-byte generator cost ~0.1 ms on every harvest page's long resumption token.
_NOT_PRINTABLE = re.compile(rb"[^\x21-\x7f]")  # as before: control bytes, space, non-ASCII


class LenientQueryRequest(Request):
    """Percent-encode raw bytes of the query string, as a proxy that normalises URLs would.

    Clients may put raw non-ASCII bytes on the request line; the WSGI server passes them on and Werkzeug's
    `request.args` decodes them strictly as UTF-8, which raised UnicodeDecodeError (a 500) in every view.
    Encoded, they reach the views as %XX escapes, decoded leniently, and get each route's own 4xx or OAI error.
    """

    def __init__(self, environ: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(environ, *args, **kwargs)
        self.query_string = lenient_query(self.query_string)


def lenient_query(raw: bytes) -> bytes:
    """Return a raw query string with its bytes other than printable ASCII percent-encoded (see LenientQueryRequest)."""
    return quote_from_bytes(raw, safe=_PRINTABLE).encode("ascii") if _NOT_PRINTABLE.search(raw) else raw


def query_pairs(environ: dict[str, Any]) -> list[tuple[str, str]]:
    """Return the query's (name, value) pairs as `request.args` parses them, for handlers run without Flask."""
    query = lenient_query(environ.get("QUERY_STRING", "").encode("latin1")).decode()
    return parse_qsl(query, keep_blank_values=True, errors="werkzeug.url_quote")


def path_of(environ: dict[str, Any]) -> str:
    """Return the request's path as Flask's `request.path` reads it: PATH_INFO (latin-1 in WSGI) as UTF-8."""
    return "/" + environ.get("PATH_INFO", "").encode("latin-1").decode(errors="replace").lstrip("/")
