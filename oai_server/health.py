"""Liveness and readiness: /healthz answers 200 when the store answers, 503 otherwise."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from catalogue_core.errors import StoreError

from .store import ext

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Report whether the store answers."""
    extension = ext()
    try:
        extension.store.ping()
    except StoreError as exc:
        response = jsonify(status="unavailable", store=extension.kind, detail=str(exc))
        response.headers["Retry-After"] = "30"
        return response, 503
    return jsonify(status="ok", store=extension.kind), 200
