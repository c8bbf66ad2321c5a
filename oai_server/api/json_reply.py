"""The API's JSON replies as Flask's `jsonify` writes them, by orjson where that gives the same bytes."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider

from catalogue_core.compact_json import is_plain

# What orjson would write its own way (dates, dataclasses, subclasses of str, int, dict, list) it refuses instead.
_OPTIONS = (
    orjson.OPT_APPEND_NEWLINE
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def reply_text(app: Flask, value: Any, plain: bool | None = None) -> bytes:
    """Return the body `jsonify(value)` writes (`plain`: compact_json.is_plain(value) when the caller knows it)."""
    provider: Any = app.json
    compact = getattr(provider, "compact", None)
    pretty = (compact is None and app.debug) or compact is False
    if not pretty and _orjson_writes_alike(provider) and (is_plain(value) if plain is None else plain):
        # json.dumps cost ~1 us a bulk item and ~3.5 us a PUT's reply, orjson ~0.1. Its text is json's when
        # nothing needed escaping: ASCII, no backslash (quotes, controls), no DEL (json writes \u007f).
        try:
            text = orjson.dumps(value, option=_OPTIONS)
        except TypeError:  # an integer past 64 bits, a key that is not a string, a passed-through type
            pass
        else:
            if text.isascii() and text.find(b"\\") < 0 and text.find(b"\x7f") < 0:
                return text
    args: dict[str, Any] = {"indent": 2} if pretty else {"separators": (",", ":")}
    return f"{provider.dumps(value, **args)}\n".encode()


def json_answer(app: Flask, value: Any, status: int, plain: bool | None = None) -> tuple[Response, int]:
    """Return what `jsonify(value), status` answers (`plain`: as reply_text's)."""
    return app.response_class(reply_text(app, value, plain), mimetype=app.json.mimetype), status  # type: ignore[attr-defined]


def _orjson_writes_alike(provider: Any) -> bool:
    """Tell whether the provider is Flask's own, ASCII-escaping and keeping key order, as dmzpub sets it up."""
    return type(provider) is DefaultJSONProvider and provider.ensure_ascii and not provider.sort_keys
