"""Liveness and readiness: /healthz answers 200 when the store answers and can be written, 503 otherwise."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from catalogue_core.errors import StoreError

from .store import ext

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Report whether the store answers, and whether it takes writes (a full disk, a read-only file)."""
    extension = ext()
    try:
        extension.store.ping()
    except StoreError as exc:
        return _unhealthy("unavailable", extension.kind, exc)
    try:
        extension.store.check_writable()
    except StoreError as exc:
        return _unhealthy("unwritable", extension.kind, exc)
    return jsonify(status="ok", store=extension.kind), 200


def _unhealthy(status: str, kind: str, exc: StoreError) -> tuple[Response, int]:
    response = jsonify(status=status, store=kind, detail=str(exc))
    response.headers["Retry-After"] = "30"
    return response, 503
