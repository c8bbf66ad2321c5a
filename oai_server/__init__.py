"""The DMZ application: OAI-PMH, the push API, landing pages and downloads, wired together."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def templates_folder() -> Path:
    """Return the templates: inside the package when installed from a wheel, else templates/ of the checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "templates"  # put there by setup.py's build step
    return packaged if packaged.is_dir() else here.parent / "templates"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application from DMZPUB_* variables; `test_config` overrides them."""
    # Imported here, not above: `dmzpub` commands of the intranet import this package and never build an app.
    from flask import Flask
    from flask.json.provider import DefaultJSONProvider

    from .config import load_settings
    from .flask_request import LenientQueryRequest

    app = Flask(__name__, template_folder=str(templates_folder()))
    app.request_class = LenientQueryRequest
    overrides = dict(test_config or {})
    app.config.update(load_settings(overrides=overrides))
    app.config.update({k: v for k, v in overrides.items() if not k.startswith("DMZPUB_")})
    app.config["MAX_CONTENT_LENGTH"] = app.config["DMZPUB_MAX_PUSH_BYTES"]
    if isinstance(app.json, DefaultJSONProvider):
        app.json.sort_keys = False
    if app.config["DMZPUB_TEMPLATE_DIR"]:
        # The facility's templates win over the built-in ones of the same name.
        from jinja2 import ChoiceLoader, FileSystemLoader

        builtin = [app.jinja_loader] if app.jinja_loader else []
        app.jinja_loader = ChoiceLoader([FileSystemLoader(app.config["DMZPUB_TEMPLATE_DIR"]), *builtin])

    import landing
    from download_cache import web as download_web

    from . import fast_routes, health, logs, metrics, problems, proxy, store
    from .api import auth, openapi, push, scicat
    from .oai import blueprint as oai

    fast_routes.init_app(app)  # first: innermost, so every middleware below wraps the fast routes too
    logs.init_app(app)
    proxy.init_app(app)
    store.init_app(app)
    stores = store.of(app)
    auth.init_app(app)
    problems.init_app(app)
    app.register_blueprint(push.bp)
    app.register_blueprint(scicat.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    landing.init_app(app, lambda: stores.store)
    # Every write (API, sync, reindex) renders the pages' parts too, with the landing templates.
    stores.page_parts = landing.parts.writer(app)
    app.register_blueprint(oai.bp)
    download_web.init_app(app, lambda: stores.store)
    fast_routes.install(app)
    return app
