"""Security headers: every HTML answer gets a strict CSP; every answer says nosniff."""

from __future__ import annotations

from flask import Response

from .blueprint import bp

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


@bp.after_app_request
def _security_headers(response: Response) -> Response:
    headers = response.headers
    if "Content-Security-Policy" in headers:  # set by the view already (the record pages)
        return response
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype in ("text/html", "application/xhtml+xml"):
        for name, value in HTML_HEADERS.items():
            headers.setdefault(name, value)
    return response
