"""RFC 9457 problem details for the API: every error is 4xx/503 JSON naming its fields."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

from catalogue_core.errors import FieldProblem, InvalidRecord, RecordNotFound, StoreUnavailable

from .error_pages import html_error

PROBLEM_TYPE = "application/problem+json"
log = logging.getLogger(__name__)


class APIProblem(Exception):
    """Raise to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        errors: list[FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail = status, title, detail
        self.errors = errors or []
        self.headers = headers or {}


def problem(
    status: int,
    title: str,
    detail: str = "",
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Return a problem+json response; `errors` name the offending fields."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if errors and not detail:
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
    if detail:
        body["detail"] = detail
    body["instance"] = request.path
    if errors:
        body["errors"] = [e.as_dict() for e in errors]
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    response.headers.update(headers or {})
    return response


def invalid_record_status(exc: InvalidRecord) -> int:
    """Return 422 for content problems (including a refused status), 400 for a non-object body."""
    return 400 if any(p.field == "/" for p in exc.problems) else 422


def _is_api() -> bool:
    return request.path.startswith(("/api/", "/scicat/"))


def init_app(app: Flask) -> None:
    """Answer API errors as problem documents and every other path's errors as HTML pages."""

    @app.errorhandler(APIProblem)
    def _api_problem(exc: APIProblem) -> Response:
        return problem(exc.status, exc.title, exc.detail, exc.errors, exc.headers)

    @app.errorhandler(InvalidRecord)
    def _invalid(exc: InvalidRecord) -> Response:
        return problem(invalid_record_status(exc), exc.title, errors=exc.problems)

    @app.errorhandler(RecordNotFound)
    def _not_found(exc: RecordNotFound) -> Response:
        return problem(404, "Not Found", f"no published record for DOI {exc.doi}")

    @app.errorhandler(StoreUnavailable)
    def _unavailable(exc: StoreUnavailable) -> Response:
        log.error("store unavailable: %s", exc)
        if not _is_api():
            return html_error(503, headers={"Retry-After": "30"})
        return problem(
            503,
            "Store unavailable",
            "the record store does not answer; retry later",
            headers={"Retry-After": "30"},
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response | HTTPException:
        if not _is_api():
            return _page(exc)
        if exc.code == 413:
            limit = app.config["DMZPUB_MAX_PUSH_BYTES"]
            return problem(
                413,
                "Payload Too Large",
                f"body: larger than DMZPUB_MAX_PUSH_BYTES ({limit} bytes)",
                [FieldProblem("/", f"the body exceeds {limit} bytes")],
            )
        response = problem(exc.code or 500, exc.name, exc.description or "")
        if exc.code == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.path)
        if not _is_api():
            return html_error(500)
        return problem(500, "Internal Server Error", "an unexpected error was logged")


def _page(exc: HTTPException) -> Response | HTTPException:
    """Return the HTML page of an HTTP error on a page for people; redirects pass through."""
    if (exc.code or 500) < 400:
        return exc
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    described = exc.description if exc.description != type(exc).description else ""
    return html_error(exc.code or 500, described or "", getattr(exc, "landing", None), headers)
