"""HTML error pages for people: every non-API route answers errors in the site's look, with a way back."""

from __future__ import annotations

from flask import Response, render_template, request

from .logs import request_id

TITLES = {
    400: "Bad request",
    404: "Page not found",
    405: "Not allowed here",
    410: "Gone",
    413: "Too large",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}
MESSAGES = {
    404: "There is nothing at this address. Check the link, or find the dataset from the list of published datasets.",
    500: "An unexpected error happened on our side and was logged. Please try again later.",
    503: "The service does not answer at the moment. Please try again in a minute.",
}


def html_error(
    status: int, message: str = "", back: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    """Return the error page of a status, with its message and, when known, a link back to the dataset."""
    body = render_template(
        "landing/error.html",
        status=status,
        title=TITLES.get(status, "Error"),
        message=message or MESSAGES.get(status, ""),
        back=request.script_root + back if back else None,
        request_id=request_id(),
    )
    response = Response(body, status=status, mimetype="text/html")
    response.headers.update(headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response
