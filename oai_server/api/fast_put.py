"""PUT /api/v1/published/<doi> as a fast route: the Flask view's answer, built without a request context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from werkzeug.exceptions import ClientDisconnected
from werkzeug.http import parse_options_header
from werkzeug.sansio.utils import get_content_length
from werkzeug.urls import iri_to_uri
from werkzeug.wrappers import Response
from werkzeug.wsgi import get_input_stream

from catalogue_core.urls import is_plain_path

from ..request import path_of
from .auth import audit_refusal, pusher
from .json_reply import reply_text
from .push import STATUS_OF, body_document, publish_reply, record_link, url_key
from .sequence import sequence_of

if TYPE_CHECKING:
    from flask import Flask

PREFIX = "/api/v1/published/"
_LINKS = 16  # record_link per SCRIPT_NAME kept; a proxy sends one or two
# Status lines as werkzeug writes them (fast_routes.status, not imported: fast_routes imports this module).
_LINES = {code: Response(status=code).status for code in STATUS_OF.values()}


@dataclass(frozen=True)
class Links:
    """The record links of one script root (push.record_link) and their Location header values."""

    link: Callable[[str], str]
    prefix: str  # link(""): the base URL and route, before the key
    prefix_uri: str  # iri_to_uri(prefix)

    @classmethod
    def of(cls, link: Callable[[str], str]) -> Links:
        return cls(link, link(""), iri_to_uri(link("")))

    def location(self, link: str) -> str:
        """Return `iri_to_uri(link)`, as werkzeug writes a Location header."""
        # iri_to_uri parses the whole URL per PUT (~2 % of one); the key's part is quoted alike char by char
        # (the path converter left no "?" or "#" in it), after the prefix converted once.
        if not link.startswith(self.prefix) or "?" in link or "#" in link:
            return iri_to_uri(link)
        rest = link[len(self.prefix) :]
        return self.prefix_uri + (rest if is_plain_path(rest) else quote(rest, safe=_PATH_SAFE))


_PATH_SAFE = "%!$&'()*+,/:;=@"  # what werkzeug's iri_to_uri leaves unquoted in a path


def put_route(app: Flask) -> dict[str, Callable[[dict[str, Any]], Any]]:
    """Return the fast route of the API's PUT (the Flask view `push.put_record` stays for what it declines)."""
    cache: dict[str, Links] = {}

    def links_for(environ: dict[str, Any]) -> Links:
        # Flask's url_for depends on the request only through its script root: built by Flask, once per root.
        script = environ.get("SCRIPT_NAME", "")
        links = cache.get(script)
        if links is None:
            with app.request_context(environ):
                links = Links.of(record_link())
            if len(cache) < _LINKS:
                cache[script] = links
        return links

    def put(environ: dict[str, Any]) -> Any:
        path = path_of(environ)
        doi = path[len(PREFIX) :]
        # What Flask's router might redirect or not match (merged slashes, a trailing one, no DOI) goes to Flask.
        if not doi or doi.startswith("/") or doi.endswith("/") or "//" in doi:
            return None
        # No Flask context: the app and the pusher's name are passed (an app context pushed and popped and its
        # ~25 context-local look-ups were 72 K of an unchanged re-PUT's 1.23 M instructions, callgrind).
        who = None
        try:
            who = pusher(app, environ.get("REMOTE_ADDR"), environ.get("HTTP_AUTHORIZATION", ""))
            url_key(doi)
            order = sequence_of(environ.get("HTTP_X_DMZPUB_SEQUENCE"))
            length = get_content_length(environ.get("CONTENT_LENGTH"), environ.get("HTTP_TRANSFER_ENCODING"))
            limit = app.config["MAX_CONTENT_LENGTH"]
            document, plain = body_document(_mimetype(environ), lambda: _read(app, environ, length), length, limit)
            links = links_for(environ)
            reply, code = publish_reply(document, doi, order, links.link, plain, app, who)
        except Exception as exc:
            audit_refusal("publish", doi, exc, who or "-")  # as the Flask view's guard does
            raise
        body = reply_text(app, reply, plain=True)  # write_reply's strings and a boolean
        return _LINES[code], _headers(app, body, links.location(reply["links"]["self"])), body

    return {"PUT " + PREFIX + "*": put}


def _mimetype(environ: dict[str, Any]) -> str:
    """Return `request.mimetype`: the Content-Type's media type, lower-cased."""
    given = environ.get("CONTENT_TYPE", "")
    # What a pusher sends: parse_options_header's regexes would give the same text back.
    if given == _JSON:
        return given
    return parse_options_header(given)[0].lower()


_JSON = "application/json"


def _read(app: Flask, environ: dict[str, Any], length: int | None = None) -> bytes:
    """Return `request.get_data(cache=False)`: the body, cut at the length limits (413 past MAX_CONTENT_LENGTH).

    `length` is the request's Content-Length (werkzeug's get_content_length), None when it has none.
    """
    limit = app.config["MAX_CONTENT_LENGTH"]
    if length is not None and limit is not None and length <= limit and "wsgi.input_terminated" in environ:
        # A server that ends the body at its Content-Length (gunicorn): werkzeug's LimitedStream reads it in
        # 64 kB chunks up to `limit`, ~5 us a PUT (~0.3 %); one read is the same bytes, and its failure the same 400.
        try:
            return environ["wsgi.input"].read()
        except (OSError, ValueError):
            raise ClientDisconnected() from None
    return get_input_stream(environ, max_content_length=limit).read()


def _headers(app: Flask, body: bytes, location: str) -> list[tuple[str, str]]:
    """Return the header list Flask's answer has: JSON, its length, the record's Location."""
    return [
        ("Content-Type", getattr(app.json, "mimetype", "application/json")),
        ("Content-Length", str(len(body))),
        ("Location", location),
    ]
