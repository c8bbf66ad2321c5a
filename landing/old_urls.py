"""Landing URLs SciCat handed out before dmzpub: /detail/<id> answers 301 to the record's page."""

from __future__ import annotations

from urllib.parse import unquote

from flask import redirect, request
from werkzeug.wrappers import Response as BaseResponse

from .blueprint import bp
from .page import record_path
from .views import resolve


@bp.route("/detail/<path:rest>", merge_slashes=False)
def detail(rest: str) -> BaseResponse:
    """Redirect SciCat's landing page server's `/detail/<DOI>` (slash kept or encoded, once or twice) to the page."""
    found, _ = resolve(unquote(rest))
    return redirect(request.script_root + record_path(found.key), 301)
