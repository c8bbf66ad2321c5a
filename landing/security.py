"""Security headers: every HTML answer gets a strict CSP; every answer says nosniff."""

from __future__ import annotations

from typing import Any

# No script at all: the JSON-LD block is data, which browsers never run. Styles and images
# come from this server only (thumbnails too: each is its own resource); no CDN, no fonts.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HTML_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}
HTML_TYPES = ("text/html", "application/xhtml+xml")


def add_defaults(headers: list[tuple[str, str]]) -> None:
    """Add the security headers an answer lacks to its WSGI header list (a view's own CSP wins)."""
    # One pass over the list, no set of every name: this runs on every answer (bench/stack.py).
    nosniff, content_type = False, None
    for name, value in headers:
        lowered = name.lower()
        if lowered == "content-security-policy":  # set by the view already (the record pages)
            return
        if lowered == "x-content-type-options":
            nosniff = True
        elif lowered == "content-type" and content_type is None:
            content_type = value
    if not nosniff:
        headers.append(("X-Content-Type-Options", "nosniff"))
    if content_type and content_type.partition(";")[0].strip() in HTML_TYPES:
        names = {name.lower() for name, _ in headers}
        headers += [(name, value) for name, value in HTML_HEADERS.items() if name.lower() not in names]


class SecurityHeaders:
    """WSGI middleware applying `add_defaults` to every answer of the app.

    On the WSGI header list rather than in a Flask after_request hook: werkzeug's Headers look-ups
    (a KeyError per missing name) cost more per request than the rule itself (bench/stack.py).
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            add_defaults(headers)
            return start_response(status, headers, exc_info)

        return self.app(environ, start)
