"""The OAI-PMH endpoint's GET as a fast route (oai_server.fast_routes): the view's bytes without Flask's request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from catalogue_core.urls import OAI_PATH, SCICAT_OAI_PATHS

from .. import store
from ..request import query_pairs
from .blueprint import CONTENT_TYPE, EXTENSION, answer_oai
from .provider import Provider

if TYPE_CHECKING:
    from flask import Flask


def fast_oai(app: Flask) -> dict[str, Callable[[dict[str, Any]], Any]]:
    """Return the fast routes of /oai and SciCat's OAI paths; POST and every other method stay with Flask."""
    config, codec = app.extensions[EXTENSION]
    stores = store.of(app)

    def open_store() -> Any:
        return stores.store

    def route(path: str) -> Callable[[dict[str, Any]], Any]:
        # SciCat's paths answer like /oai, each with its own baseURL (as the view does).
        own = config if path == OAI_PATH else replace(config, base_url=app.config["DMZPUB_BASE_URL"] + path)
        provider = Provider(open_store, own, codec)

        def handler(environ: dict[str, Any]) -> Any:
            answer = answer_oai(provider, query_pairs(environ), environ.get("HTTP_ACCEPT_ENCODING"))
            if not isinstance(answer, tuple):
                return answer  # the 503, a werkzeug Response
            body, headers = answer
            return "200 OK", [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body))), *headers], body

        return handler

    return {path: route(path) for path in (OAI_PATH, *SCICAT_OAI_PATHS)}
