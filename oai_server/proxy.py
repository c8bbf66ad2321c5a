"""Trust X-Forwarded-* only from the proxy's own address; build redirects from DMZPUB_BASE_URL, never from Host."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, Response
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


def _absolute_from_base(base_url: str) -> Any:
    base = urlsplit(base_url)

    def rewrite(response: Response) -> Response:
        # Werkzeug's routing redirects (merge_slashes, strict_slashes) are absolute URLs built
        # from the Host header; a forged Host must not send visitors elsewhere.
        if response.status_code // 100 != 3:  # first: a header look-up costs more than the check
            return response
        location = response.headers.get("Location")
        if location:
            parts = urlsplit(location)
            if parts.netloc and (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
                response.headers["Location"] = urlunsplit((base.scheme, base.netloc, *parts[2:]))
        return response

    return rewrite


def init_app(app: Flask) -> None:
    """Install the trusted-proxy middleware (when behind a proxy) and the redirect rewrite."""
    hops = app.config["DMZPUB_PROXY_COUNT"]
    if hops:
        trusted = app.config["DMZPUB_FORWARDED_ALLOW_IPS"]
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, hops, trusted)  # type: ignore[method-assign]
    app.after_request(_absolute_from_base(app.config["DMZPUB_BASE_URL"]))
