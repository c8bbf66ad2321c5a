"""Liveness and readiness: /healthz answers 200 when the store answers and can be written, 503 otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, jsonify

from catalogue_core.errors import StoreError

from .store import StoreExtension, ext, of

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Report whether the store answers, and whether it takes writes (a full disk, a read-only file)."""
    extension = ext()
    failed = _failure(extension)
    if failed:
        return _unhealthy(*failed, extension.kind)
    return jsonify(status="ok", store=extension.kind), 200


def _failure(extension: StoreExtension) -> tuple[str, StoreError] | None:
    """Return why the store is unhealthy ('unavailable' or 'unwritable', and the error), or None."""
    try:
        extension.store.ping()
    except StoreError as exc:
        return "unavailable", exc
    try:
        extension.store.check_writable()
    except StoreError as exc:
        return "unwritable", exc
    return None


def _unhealthy(status: str, exc: StoreError, kind: str) -> tuple[Response, int]:
    response = jsonify(status=status, store=kind, detail=str(exc))
    response.headers["Retry-After"] = "30"
    return response, 503


def fast_healthz(app: Flask) -> Callable[[dict[str, Any]], Any]:
    """Return /healthz as a fast route: the Flask view's probes, its healthy answer's bytes built once."""
    extension = of(app)
    with app.app_context():
        ok = jsonify(status="ok", store=extension.kind)
    line, headers, body = ok.status, ok.headers.to_wsgi_list(), ok.get_data()

    def handler(environ: dict[str, Any]) -> Any:
        failed = _failure(extension)
        if failed is None:
            return line, list(headers), body  # a fresh list: the middleware appends to it
        with app.app_context():  # rare: the 503 is built as the Flask view builds it
            response, code = _unhealthy(*failed, extension.kind)
        response.status_code = code
        return response

    return handler
