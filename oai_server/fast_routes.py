"""Fast routes: hot GET/HEAD routes answered by plain WSGI handlers ahead of Flask, behind the same middleware.

Contract:
- A fast route accelerates a Flask route that stays registered: it answers GET and HEAD of its path only,
  an exact path ("/healthz") or, for a key ending in "*", every path under a prefix ("/doi/*"; exact paths
  win, then the longest prefix). PATH_INFO is WSGI's latin-1 string: `request.path_of(environ)` gives the text
  Flask's `request.path` gives. A key "METHOD path" ("PUT /api/v1/published/*") answers that method
  instead (a write the handler does in full: the API's PUT).
  Every other method (405, OPTIONS), every other path (routing's redirects and 404s) and every request the
  handler declines (it returns None) goes to Flask as before.
- It sits innermost, where Flask's own WSGI callable was, so request ids, access lines, security headers,
  the redirect rewrite and the proxy fix wrap it exactly as they wrap Flask.
- A handler is `handler(environ) -> FastResponse | None`, built once per app by the factory listed in
  `_routes` (the one place to add a route). It runs without a Flask request context (that costs what the
  route is meant to save); it may return a werkzeug Response for a rare path (say, an error built with Flask).
- The answer must be the bytes the Flask route gave: status as werkzeug writes it (`status()`), every header
  (Content-Type and Content-Length included) and the body. HEAD gets the same headers and no body.
- An exception from a handler gets Flask's answer to it: the app's error handlers run in a request context
  of the same environ (an HTTPException's page, or the logged 500 page), never a bare traceback.
- While a handler runs, its log lines carry the request's id (logs.CURRENT_ID).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.http import HTTP_STATUS_CODES

from catalogue_core.urls import LANDING_PREFIX

from . import logs

if TYPE_CHECKING:
    from flask import Flask

# (status line as werkzeug writes it, WSGI header list, body)
FastResponse = tuple[str, list[tuple[str, str]], bytes]
Handler = Callable[[dict[str, Any]], Any]  # returns a FastResponse, a werkzeug Response, or None (Flask answers)
_KEY = "dmzpub.fast_routes"  # read only through routes_of(): no other module spells it
_METHODS = frozenset({"GET", "HEAD"})


def _routes(app: Flask) -> dict[str, Handler]:
    """Return the fast routes of `app`: exact path or "prefix*" -> handler. Add a route here."""
    import landing

    from . import health
    from .api.fast_put import put_route
    from .oai.fast import fast_oai

    return {
        "/healthz": health.fast_healthz(app),
        **fast_oai(app),
        LANDING_PREFIX + "*": landing.fast.page_route(app),
        **put_route(app),
    }


def status(code: int) -> str:
    """Return the status line werkzeug writes for `code` (reason upper-cased: '404 NOT FOUND')."""
    return f"{code} {HTTP_STATUS_CODES.get(code, 'UNKNOWN').upper()}"


class FastRoutes:
    """WSGI middleware: answer a registered path's GET/HEAD with its handler, anything else with Flask."""

    def __init__(self, app: Flask, routes: dict[str, Handler]) -> None:
        self.flask = app
        self.app = app.wsgi_app  # Flask's own callable (bench/stack.py walks `.app` chains)
        self.routes = routes  # exact paths; prefix routes are keyed "prefix*"
        self.prefixes: tuple[tuple[str, Handler], ...] = ()

    def add(self, routes: dict[str, Handler]) -> None:
        """Add routes (exact path or "prefix*" -> handler); the longest prefix is tried first."""
        self.routes.update(routes)
        prefixes = [(key[:-1], handler) for key, handler in self.routes.items() if key.endswith("*")]
        self.prefixes = tuple(sorted(prefixes, key=lambda item: -len(item[0])))

    def _find(self, method: str, path_info: str) -> Handler | None:
        target = path_info if method in _METHODS else f"{method} {path_info}"
        handler = self.routes.get(target)
        if handler is None:
            for prefix, candidate in self.prefixes:
                if target.startswith(prefix):
                    return candidate
        return handler

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        handler = self._find(method, environ.get("PATH_INFO", "")) if method else None
        if handler is None:
            return self.app(environ, start_response)
        try:
            token = logs.CURRENT_ID.set(environ.get(logs.ENVIRON_KEY, "-"))
            try:
                answer = handler(environ)
            finally:
                logs.CURRENT_ID.reset(token)
        except Exception as exc:  # Flask's error handlers answer it, as for a Flask route
            return self._error(exc, environ, start_response)
        if answer is None:
            return self.app(environ, start_response)
        if not isinstance(answer, tuple):
            return answer(environ, start_response)
        line, headers, body = answer
        start_response(line, headers)
        return () if method == "HEAD" else (body,)

    def _error(self, exc: Exception, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """Answer `exc` as Flask's wsgi_app would have, had the route's view raised it."""
        app = self.flask
        context = app.request_context(environ)
        error: BaseException | None = exc
        try:
            context.push()
            try:
                answer = app.handle_user_exception(exc)
            except Exception as unhandled:  # no handler took it: the logged 500
                answer = app.handle_exception(unhandled)
            response = app.finalize_request(answer, from_error_handler=True)
            error = None
            return response(environ, start_response)
        finally:
            context.pop(error)


def init_app(app: Flask) -> None:
    """Put the fast routes in front of Flask's own WSGI callable (first: every other middleware wraps them)."""
    fast = FastRoutes(app, {})
    app.wsgi_app = fast  # type: ignore[method-assign]
    app.extensions[_KEY] = fast


def install(app: Flask) -> None:
    """Build the handlers of `_routes`, once the app's extensions they use are set up."""
    routes_of(app).add(_routes(app))


def routes_of(app: Flask) -> FastRoutes:
    """Return the app's fast-route middleware."""
    fast: FastRoutes = app.extensions[_KEY]
    return fast
