"""SciCat drop-in routes: point SciCat's OAI_PROVIDER_ROUTE at /scicat/oai/Publication."""

from __future__ import annotations

from urllib.parse import unquote

from flask import Blueprint, Response, jsonify

from .auth import require_pusher
from .push import amend, publish, publish_bulk, read_document, read_json, url_key

bp = Blueprint("scicat", __name__, url_prefix="/scicat/oai")


@bp.post("/Publication")
@require_pusher(allow_basic=True)
def create() -> tuple[Response, int]:
    """Publish what SciCat posts at registration (one document, or an array)."""
    body, plain = read_document()
    if isinstance(body, list):
        return publish_bulk(body, plain)
    return publish(body, None, plain=plain)


@bp.put("/Publication/<path:encoded>")
@require_pusher(allow_basic=True)
def update(encoded: str) -> tuple[Response, int]:
    """Merge SciCat's resync (the edit form's fields) onto the published record.

    SciCat encodes the DOI twice; the server has decoded it once. A DOI not published here
    answers success and publishes nothing, as SciCat's provider did (an update without
    upsert): an error would make the edit fail inside SciCat.
    """
    doi = unquote(encoded)
    key = url_key(doi)
    answer = amend(read_json(), doi)
    if answer is not None:
        return answer
    detail = f"{doi} is not published here: nothing was published (push it in full to publish it)"
    return jsonify(doi=doi, key=key, status="not_published", published=False, detail=detail), 200
