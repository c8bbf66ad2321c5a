"""Landing URLs SciCat handed out before dmzpub: /detail/<id> answers 301 to the record's page."""

from __future__ import annotations

from urllib.parse import unquote

from flask import redirect, request
from werkzeug.wrappers import Response as BaseResponse

from catalogue_core.urls import OLD_LANDING_PREFIX, landing_path

from .blueprint import bp
from .views import resolve


@bp.route(OLD_LANDING_PREFIX + "<path:rest>", merge_slashes=False)
def detail(rest: str) -> BaseResponse:
    """Redirect SciCat's landing page server's `/detail/<DOI>` (slash kept or encoded, once or twice) to the page."""
    found, _ = resolve(unquote(rest))
    return redirect(request.script_root + landing_path(found.key), 301)
