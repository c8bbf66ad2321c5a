"""PUT/GET/DELETE /api/v1/published/<doi>, bulk POST and keyset listing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson
from flask import Blueprint, Flask, Response, current_app, jsonify, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import BaseConverter

from catalogue_core.amendment import merged_payload
from catalogue_core.compact_json import scan
from catalogue_core.doi import doi_key, fold_doi
from catalogue_core.errors import FieldProblem, InvalidDOI, InvalidRecord, RecordNotFound
from catalogue_core.record import PublishedRecord
from catalogue_core.scicat import from_scicat
from catalogue_core.store import StoredRecord, WriteResult
from catalogue_core.urls import in_path

from .. import audit, store
from ..problems import APIProblem, invalid_record_status
from ..store import ext, get_store
from .auth import require_pusher
from .json_reply import json_answer
from .sequence import sequence, sequences, stale

bp = Blueprint("push", __name__, url_prefix="/api/v1")
STATUS_OF = {"created": 201, "updated": 200, "unchanged": 200, "withdrawn": 200, "stale": 409}
MAX_PAGE = 1000
MAX_DEPTH = 32


def read_json() -> Any:
    """Return the parsed request body; raise a problem naming the body when it is not JSON."""
    return read_document()[0]


def read_document() -> tuple[Any, bool]:
    """Return the parsed request body and whether it is known plain JSON (compact_json.is_plain)."""
    return json_document(request.mimetype, lambda: request.get_data(cache=False), request.content_length)


def json_document(mimetype: str, read: Callable[[], bytes], content_length: int | None) -> tuple[Any, bool]:
    """Return a body read by `read` parsed (its media type checked first), and whether it is known plain JSON
    (orjson read it: no float, exact types); raise a problem naming the body when it is not JSON."""
    return body_document(mimetype, read, content_length, current_app.config["MAX_CONTENT_LENGTH"])


def body_document(
    mimetype: str, read: Callable[[], bytes], content_length: int | None, limit: int | None
) -> tuple[Any, bool]:
    """Return what json_document returns, `limit` being the app's MAX_CONTENT_LENGTH (no Flask context needed)."""
    if mimetype and mimetype != "application/json" and not mimetype.endswith("+json"):
        raise APIProblem(
            415,
            "Unsupported Media Type",
            f"send application/json, not {mimetype}",
            [FieldProblem("Content-Type", "must be application/json")],
        )
    raw = read()
    if content_length is None and len(raw) >= (limit or len(raw) + 1):
        # A chunked body is cut at the limit without an error; the rest would parse as bad JSON (a 400).
        raise RequestEntityTooLarge()
    read_fast = _orjson_body(raw)
    body, deep = read_fast if read_fast is not None else _json_body(raw)
    if deep:
        # PublishedData is a few levels deep; a deeper body is an attack on the recursive code after us.
        message = f"nested deeper than {MAX_DEPTH} levels"
        raise APIProblem(400, "Malformed JSON", f"body: {message}", [FieldProblem("/", message)])
    # The scan that let orjson's body through found no float: every later JSON text of it can skip its walk.
    return body, read_fast is not None


def _orjson_body(raw: bytes) -> tuple[Any, bool] | None:
    """Return the body read by orjson (~4x json's speed) and whether it nests too deep; None when json must read it."""
    # orjson reads integers past 64 bits as floats: a body holding any float, and one orjson refuses,
    # is read by json, whose values and error messages are the reference.
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    deep, floats = scan(body, MAX_DEPTH)
    return None if floats else (body, deep)


def _json_body(raw: bytes) -> tuple[Any, bool]:
    """Return the body read by json (NaN and Infinity refused) and whether it nests too deep; raise when not JSON."""
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, NaN, integers past 4300 digits
        raise APIProblem(400, "Malformed JSON", f"body: {exc}", [FieldProblem("/", f"not valid JSON: {exc}")]) from None
    except RecursionError:
        return None, True
    return body, _depth_over(body, MAX_DEPTH)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _depth_over(value: Any, limit: int) -> bool:
    """Return whether the JSON value nests deeper than `limit` (checked without recursion)."""
    return scan(value, limit)[0]


def public_url(endpoint: str, **values: Any) -> str:
    """Return an absolute URL under DMZPUB_BASE_URL, right behind any proxy."""
    return current_app.config["DMZPUB_BASE_URL"] + url_for(endpoint, **values)


def url_key(doi: str) -> str:
    """Return the record key for a DOI taken from a URL; a bad DOI is a 400 naming it."""
    try:
        return doi_key(doi)
    except InvalidDOI as exc:
        raise APIProblem(400, "Invalid DOI", errors=exc.problems) from None


def record_link() -> Callable[[str], str]:
    """Return what gives public_url("push.get_record", doi=key) in this request, url_for run once."""
    # url_for costs ~35 us and a bulk reply links each of its records: the prefix is built once and
    # each key quoted by the route's own path converter (tests/test_push_links.py holds it to url_for).
    prefix = public_url("push.get_record", doi="-")[:-1]
    converter = current_app.url_map.converters["path"](current_app.url_map)
    quote = converter.to_url
    if type(converter).to_url is not BaseConverter.to_url:  # an app's own converter: asked every time
        return lambda key: prefix + quote(key)
    # Werkzeug's to_url is urllib's quote (~2 K instructions a key) with in_path's safe set: in_path skips it
    # for a key of safe characters.
    return lambda key: prefix + in_path(key)


def write_reply(result: WriteResult, doi: str, link: Callable[[str], str] | None = None) -> dict[str, Any]:
    """Return the JSON reply for a write (`link` from record_link, for many replies in one request)."""
    return {
        "doi": doi,
        "key": result.key,
        "datestamp": result.datestamp,
        "status": result.outcome,
        "deleted": result.outcome == "withdrawn",
        "links": {"self": link(result.key) if link else public_url("push.get_record", doi=result.key)},
    }


def accepted_record(
    document: Any, doi: str | None = None, plain: bool = False, app: Flask | None = None
) -> PublishedRecord:
    """Return the normalised record if this repository (`app`, else the current one) publishes its DOI; raise
    InvalidRecord."""
    record = from_scicat(document, doi, plain)
    prefixes = (current_app if app is None else app).config["DMZPUB_DOI_PREFIXES"]
    if prefixes and record.key.split("/", 1)[0] not in prefixes:
        allowed = ", ".join(prefixes)
        raise InvalidRecord(
            [FieldProblem("doi", f"{record.doi} is not under this repository's DOI prefixes ({allowed})")],
            title="DOI prefix not served here",
        )
    return record


def publish(document: Any, doi: str | None, order: int | None = None, plain: bool = False) -> tuple[Response, int]:
    """Publish one document and answer 201 (created) or 200 (updated or unchanged); 409 when stale."""
    reply, code = publish_reply(document, doi, order, plain=plain)
    response = jsonify(reply)
    response.headers["Location"] = reply["links"]["self"]  # built once: url_for is a visible part of a PUT
    return response, code


def publish_reply(
    document: Any,
    doi: str | None,
    order: int | None = None,
    link: Callable[[str], str] | None = None,
    plain: bool = False,
    app: Flask | None = None,
    who: str | None = None,
) -> tuple[dict[str, Any], int]:
    """Publish one document; return the reply and its status, 201 (created) or 200; raise the 409 when stale.

    `app` and `who` (the pusher) are given by a caller without a Flask context (the fast PUT); else the current
    app's and request's are used.
    """
    record = accepted_record(document, doi, plain, app)
    result = (ext() if app is None else store.of(app)).writer.publish_many([record], [order])[0]
    if result.outcome == "stale":
        raise stale(record.doi)  # audited as refused, with the problem's title
    audit.written("publish", record.doi, result.outcome, who)
    return write_reply(result, record.doi, link), STATUS_OF[result.outcome]


def amend(amendment: Any, doi: str) -> tuple[Response, int] | None:
    """Merge an amendment onto the published record of a DOI and publish it; None when it is not published."""
    key = url_key(doi)
    stored = get_store().get(key, formats=())
    if stored is None or stored.deleted:
        merged_payload({}, amendment)  # a body that is not an object is still a 400, not a silent success
        return None
    return publish(merged_payload(stored.payload, amendment), doi)


def publish_bulk(documents: Any, plain: bool = False) -> tuple[Response, int]:
    """Publish a JSON array; answer per item (200 when all succeeded, else 207; `plain`: from_scicat's)."""
    if not isinstance(documents, list):
        raise APIProblem(400, "Expected a JSON array", errors=[FieldProblem("/", "must be a JSON array")])
    items: list[dict[str, Any]] = [{} for _ in documents]
    order = sequences(len(documents))
    who = audit.actor()  # read once: through Flask's context-local `g` it was ~half of each record's audit line
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # as `who`: not looked up per record
    good = []
    for index, document in enumerate(documents):
        try:
            good.append((index, accepted_record(document, plain=plain, app=app)))
        except InvalidRecord as exc:
            doi = document.get("doi") if isinstance(document, dict) else None
            items[index] = {
                "index": index,
                "doi": doi if isinstance(doi, str) else None,
                "status": "rejected",
                "httpStatus": invalid_record_status(exc),
                "title": exc.title,
                "errors": [p.as_dict() for p in exc.problems],
            }
            target = doi if isinstance(doi, str) else f"#{index}"
            audit.refused("publish", target, invalid_record_status(exc), exc.title, who)
    writer = ext().writer
    results = writer.publish_many([record for _, record in good], [order[i] for i, _ in good]) if good else []
    link = record_link()
    for (index, record), result in zip(good, results, strict=True):
        audit.written("publish", record.doi, result.outcome, who)
        items[index] = {
            "index": index,
            **write_reply(result, record.doi, link),
            "httpStatus": STATUS_OF[result.outcome],
        }
    summary: dict[str, int] = {}
    for item in items:
        summary[item["status"]] = summary.get(item["status"], 0) + 1
    mixed = any(item["httpStatus"] >= 400 for item in items)  # rejected or stale items
    # Plain: strings, integers, booleans and None made here (is_plain's walk cost ~0.5 us an item).
    return json_answer(current_app, {"items": items, "summary": summary}, 207 if mixed else 200, plain=True)


def record_json(record: StoredRecord) -> dict[str, Any]:
    """Return the API view of a stored record or tombstone."""
    body: dict[str, Any] = {
        "doi": record.doi,
        "key": record.key,
        "datestamp": record.datestamp,
        "created": record.created,
        "deleted": record.deleted,
        "contentHash": record.content_hash,
        "sets": list(record.sets),
    }
    if record.deleted:
        body["withdrawalReason"] = record.reason
    body.update(metadata=record.metadata, extras=record.extras, payload=record.payload)
    return body


@bp.put("/published/<path:doi>")
@require_pusher()
def put_record(doi: str) -> tuple[Response, int]:
    """Create or update the record of a DOI from a SciCat PublishedData document."""
    url_key(doi)
    order = sequence()
    document, plain = read_document()
    return publish(document, doi, order, plain)


@bp.patch("/published/<path:doi>")
@require_pusher()
def patch_record(doi: str) -> tuple[Response, int]:
    """Amend a published record: the body's top-level fields replace the stored ones, the rest stay."""
    answer = amend(read_json(), doi)
    if answer is None:
        raise RecordNotFound(doi)
    return answer


@bp.get("/published/<path:doi>")
@require_pusher()
def get_record(doi: str) -> Response:
    """Return the canonical record (or tombstone) of a DOI."""
    record = get_store().get(url_key(doi), formats=())
    if record is None:
        raise RecordNotFound(doi)
    return jsonify(record_json(record))


@bp.delete("/published/<path:doi>")
@require_pusher()
def withdraw_record(doi: str) -> Response:
    """Withdraw a record: keep a tombstone with the withdrawal datestamp and optional reason."""
    reason = None
    if request.get_data(cache=True).strip():
        body = read_json()
        if not isinstance(body, dict):
            raise APIProblem(400, "Expected a JSON object", errors=[FieldProblem("/", "must be a JSON object")])
        reason = body.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise APIProblem(422, "Invalid withdrawal", errors=[FieldProblem("reason", "must be a string")])
        if reason is not None and len(reason) > 2000:
            raise APIProblem(
                422,
                "Invalid withdrawal",
                errors=[FieldProblem("reason", "is over 2000 characters")],
            )
    key = url_key(doi)
    result = get_store().withdraw(key, reason, sequence())
    record = get_store().get(key, formats=())
    if result.outcome == "stale":
        raise stale(record.doi if record else doi)
    audit.written("withdraw", record.doi if record else doi, result.outcome)
    return jsonify(write_reply(result, record.doi if record else doi))


@bp.post("/published")
@require_pusher()
def bulk() -> tuple[Response, int]:
    """Create or update many records; the reply lists each item's outcome."""
    return publish_bulk(*read_document())


def _known_query(allowed: tuple[str, ...]) -> None:
    """Refuse query parameters the operation does not know: a misspelt `limt` must not pass silently."""
    unknown = [name for name in request.args if name not in allowed]
    if unknown:
        problems = [FieldProblem(name, f"unknown query parameter; use {', '.join(allowed)}") for name in unknown]
        raise APIProblem(400, "Invalid query", errors=problems)


def _limit() -> int:
    raw = request.args.get("limit", "100")
    # ASCII digits, few of them: isdigit() alone takes "²" (int() fails) and 5000 digits (past int's limit).
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 4) or not 1 <= int(raw) <= MAX_PAGE:
        raise APIProblem(400, "Invalid query", errors=[FieldProblem("limit", f"must be 1..{MAX_PAGE}")])
    return int(raw)


@bp.get("/published")
@require_pusher()
def list_records() -> Response:
    """List doi, datestamp, content hash and deleted flag in DOI order, one keyset page at a time."""
    _known_query(("limit", "after"))
    limit = _limit()
    after = request.args.get("after") or None
    page = get_store().list_keys(fold_doi(after) if after else None, limit)
    items = [
        {
            "doi": r.doi,
            "key": r.key,
            "datestamp": r.datestamp,
            "contentHash": r.content_hash,
            "deleted": r.deleted,
        }
        for r in page
    ]
    next_url = None
    if len(page) == limit:
        next_url = public_url("push.list_records", limit=limit, after=page[-1].key)
    response = jsonify(items=items, next=next_url)
    if next_url:
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return response
