"""Trust X-Forwarded-* only from the proxy's own address; build redirects from DMZPUB_BASE_URL, never from Host."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxyFix:
    """Apply ProxyFix to requests from the trusted proxies; drop X-Forwarded-* headers from anyone else.

    With a plain ProxyFix, a client reaching gunicorn directly could claim any address
    (and pass DMZPUB_PUSH_ALLOW_CIDRS) by sending X-Forwarded-For itself.
    """

    def __init__(self, app: Any, hops: int, trusted: Iterable[Network]) -> None:
        self.plain = app
        self.fixed = ProxyFix(app, x_for=hops, x_proto=hops, x_host=hops)
        self.trusted = tuple(trusted)

    def _from_proxy(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.trusted)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self._from_proxy(environ.get("REMOTE_ADDR", "")):
            return self.fixed(environ, start_response)
        for name in [k for k in environ if k.startswith("HTTP_X_FORWARDED_")]:
            del environ[name]
        return self.plain(environ, start_response)


class AbsoluteFromBase:
    """WSGI middleware: a redirect's absolute Location names DMZPUB_BASE_URL's scheme and host.

    Werkzeug's routing redirects (merge_slashes, strict_slashes) are absolute URLs built from the
    Host header; a forged Host must not send visitors elsewhere. At the WSGI layer, where only a
    3xx answer costs anything, rather than a Flask after_request hook run for every answer.
    """

    def __init__(self, app: Any, base_url: str) -> None:
        self.app = app
        base = urlsplit(base_url)
        self.origin = (base.scheme, base.netloc)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if status.startswith("3"):
                headers[:] = [(name, self._rewrite(name, value)) for name, value in headers]
            return start_response(status, headers, exc_info)

        return self.app(environ, start)

    def _rewrite(self, name: str, value: str) -> str:
        if name.lower() != "location":
            return value
        parts = urlsplit(value)
        if parts.netloc and (parts.scheme, parts.netloc) != self.origin:
            return urlunsplit((*self.origin, *parts[2:]))
        return value


def init_app(app: Flask) -> None:
    """Install the redirect rewrite and, when behind a proxy, the trusted-proxy middleware (outermost)."""
    app.wsgi_app = AbsoluteFromBase(app.wsgi_app, app.config["DMZPUB_BASE_URL"])  # type: ignore[method-assign]
    hops = app.config["DMZPUB_PROXY_COUNT"]
    if hops:
        trusted = app.config["DMZPUB_FORWARDED_ALLOW_IPS"]
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, hops, trusted)  # type: ignore[method-assign]
