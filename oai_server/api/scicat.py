"""SciCat drop-in routes: point SciCat's OAI_PROVIDER_ROUTE at /scicat/oai/Publication."""

from __future__ import annotations

from urllib.parse import unquote

from flask import Blueprint, Response

from .auth import require_pusher
from .push import publish, publish_bulk, read_json, url_key

bp = Blueprint("scicat", __name__, url_prefix="/scicat/oai")


@bp.post("/Publication")
@require_pusher(allow_basic=True)
def create() -> tuple[Response, int]:
    """Publish what SciCat posts at registration (one document, or an array)."""
    body = read_json()
    if isinstance(body, list):
        return publish_bulk(body)
    return publish(body, None)


@bp.put("/Publication/<path:encoded>")
@require_pusher(allow_basic=True)
def update(encoded: str) -> tuple[Response, int]:
    """Publish an amendment; SciCat encodes the DOI twice, the server has decoded it once."""
    doi = unquote(encoded)
    url_key(doi)
    return publish(read_json(), doi)
