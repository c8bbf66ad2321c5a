"""The /oai route: GET and POST, compression on request, 503 only while the store or signing key is down."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request
from flask.sansio.blueprints import BlueprintSetupState
from isal import igzip, isal_zlib
from werkzeug.http import parse_accept_header

from catalogue_core.crosswalks.panosc import PANOSC_XSD_FILE
from catalogue_core.errors import StoreUnavailable
from catalogue_core.urls import OAI_PATH, PANOSC_SCHEMA_PATH, SCICAT_OAI_PATHS, PublicURLs

from ..config import ConfigError
from ..secret_key import secret_key
from ..setting_parsers import REPOSITORY_ID_RE
from ..store import get_store
from .errors import BadArgument
from .provider import Provider, ProviderConfig
from .response import envelope, error_element, now, request_element, respond
from .resumption_token import TokenCodec

bp = Blueprint("oai", __name__)
log = logging.getLogger(__name__)
EXTENSION = "dmzpub.oai"
FALLBACK_REPOSITORY_ID = "dmzpub.localhost"
RETRY_AFTER = "30"
_FORM = "application/x-www-form-urlencoded"
CONTENT_TYPE = "text/xml; charset=utf-8"
_VARY = [("Vary", "Accept-Encoding")]
# Fast levels: pages are regenerated per request, so CPU matters more than the last few bytes.
# ISA-L (isal), not zlib: its level 1 compressed a 230 KB page in 0.08 ms against zlib's 0.8 ms
# (a tenth of a page's CPU), into fewer bytes; any gzip/zlib reader decodes it (RFC 1952/1950).
_GZIP_LEVEL = 1


def provider_config(config: dict) -> ProviderConfig:
    """Return the repository description from the settings, filling the derived defaults."""
    host = urlsplit(config["DMZPUB_BASE_URL"]).hostname or ""
    repository_id = config["DMZPUB_REPOSITORY_ID"] or (host if REPOSITORY_ID_RE.match(host) else FALLBACK_REPOSITORY_ID)
    return ProviderConfig(
        base_url=PublicURLs(config["DMZPUB_BASE_URL"]).oai(),
        repository_name=config["DMZPUB_REPOSITORY_NAME"],
        repository_id=repository_id,
        admin_email=config["DMZPUB_ADMIN_EMAIL"] or f"oai-admin@{repository_id}",
        page_size=config["DMZPUB_OAI_PAGE_SIZE"],
        harvest_statuses=tuple(config["DMZPUB_HARVEST_STATUSES"]),
        bare_identifiers=config["DMZPUB_OAI_IDENTIFIERS"] == "doi",
        site_url=config["DMZPUB_BASE_URL"],
    )


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    app = state.app
    # Resolve the signing key now when possible (before gunicorn forks, so all workers share
    # it); if local state is unusable, the app still starts and list requests answer 503.
    key: str | Callable[[], str]
    try:
        key = secret_key(app.config)
    except ConfigError as exc:
        log.error("resumption tokens unavailable until fixed: %s", exc)
        key = functools.partial(secret_key, app.config)
    app.extensions[EXTENSION] = (provider_config(app.config), TokenCodec(key))


def _unavailable(reason: object) -> Response:
    log.error("OAI-PMH request cannot be answered now: %s", reason)
    response = Response("The service is unavailable; retry later.\n", 503, mimetype="text/plain")
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def compress(body: bytes, accept_encoding: str | None) -> tuple[bytes, str | None]:
    """Return the body in the encoding the Accept-Encoding value asks for, and that encoding (None: identity)."""
    encoding = _encoding(accept_encoding)
    if encoding == "gzip":
        return igzip.compress(body, _GZIP_LEVEL, mtime=0), encoding
    if encoding == "deflate":
        return isal_zlib.compress(body, _GZIP_LEVEL), encoding
    return body, None


@functools.lru_cache(maxsize=64)
def _encoding(accept: str | None) -> str | None:
    # A harvester sends the same Accept-Encoding on every page, and parsing it (as
    # request.accept_encodings does) cost ~1.5 % of a page: parse each value once.
    accepted = parse_accept_header(accept)
    return "gzip" if accepted["gzip"] else "deflate" if accepted["deflate"] else None


def _arguments() -> list[tuple[str, str]] | BadArgument:
    pairs = list(request.args.items(multi=True))
    if request.method == "POST":
        if request.content_length and request.mimetype != _FORM:
            return BadArgument(f"a POST request must send its arguments as {_FORM}")
        # Werkzeug drops a whole form body that is not UTF-8 (the encoding OAI-PMH prescribes),
        # which would read as "the verb argument is missing"; say what is wrong instead.
        try:
            request.get_data(cache=True).decode()
        except UnicodeDecodeError:
            return BadArgument("the request body is not UTF-8")
        pairs += list(request.form.items(multi=True))
    return pairs


@bp.get(PANOSC_SCHEMA_PATH)
def panosc_schema() -> Response:
    """Serve the schema of the panosc format, kept in the project."""
    response = Response(PANOSC_XSD_FILE.read_bytes(), content_type="application/xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.route(OAI_PATH, methods=["GET", "POST"])
@bp.route(SCICAT_OAI_PATHS[0], methods=["GET", "POST"], endpoint="scicat_oai")
@bp.route(SCICAT_OAI_PATHS[1], methods=["GET", "POST"], endpoint="openaire_oai")
@bp.route(SCICAT_OAI_PATHS[2], methods=["GET", "POST"], endpoint="panosc_oai")
def oai() -> Response:
    """Answer an OAI-PMH request; protocol errors are HTTP 200 with <error>.

    SciCat's paths answer exactly like /oai, each with its own baseURL.
    """
    config, codec = current_app.extensions[EXTENSION]
    if request.path != OAI_PATH:
        config = replace(config, base_url=current_app.config["DMZPUB_BASE_URL"] + request.path)
    answer = answer_oai(Provider(get_store, config, codec), _arguments(), request.headers.get("Accept-Encoding"))
    if not isinstance(answer, tuple):
        return answer
    body, headers = answer
    response = Response(body, 200, content_type=CONTENT_TYPE)
    response.headers.extend(headers)
    return response


def answer_oai(
    provider: Provider, pairs: list[tuple[str, str]] | BadArgument, accept_encoding: str | None
) -> tuple[bytes, list[tuple[str, str]]] | Response:
    """Return the body and extra headers of an OAI-PMH answer, or the 503 while the store or key is down."""
    try:
        if isinstance(pairs, BadArgument):
            body = envelope(now(), request_element(provider.config.base_url, None), error_element(pairs))
        else:
            body = respond(provider, pairs)
    except (StoreUnavailable, ConfigError) as exc:  # the store, or the signing key, is down
        return _unavailable(exc)
    body, encoding = compress(body, accept_encoding)
    return body, [*_VARY, ("Content-Encoding", encoding)] if encoding else _VARY
