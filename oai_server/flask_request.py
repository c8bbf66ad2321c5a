"""The request class of the app: a query string that is not ASCII is percent-encoded before anyone parses it."""

from __future__ import annotations

from typing import Any

from flask import Request

from .request import lenient_query


class LenientQueryRequest(Request):
    """Percent-encode raw bytes of the query string, as a proxy that normalises URLs would.

    Clients may put raw non-ASCII bytes on the request line; the WSGI server passes them on and Werkzeug's
    `request.args` decodes them strictly as UTF-8, which raised UnicodeDecodeError (a 500) in every view.
    Encoded, they reach the views as %XX escapes, decoded leniently, and get each route's own 4xx or OAI error.
    """

    def __init__(self, environ: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(environ, *args, **kwargs)
        self.query_string = lenient_query(self.query_string)
