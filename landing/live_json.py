"""A page's live JSON-LD `distribution` member, written directly: the bytes the templates' `tojson` filter writes."""

from __future__ import annotations

from json.encoder import encode_basestring_ascii

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from download_cache.state import STAGED

from .downloads import Downloads
from .schemaorg import FILES_DESCRIBED


def plain_json(app: Flask) -> bool:
    """Tell whether the app's `tojson` is json.dumps as Flask sets it up (ASCII, keys sorted: Jinja's policy)."""
    policies = app.jinja_env.policies
    provider = app.json
    return (
        type(provider) is DefaultJSONProvider
        and provider.ensure_ascii
        and policies["json.dumps_kwargs"] == {"sort_keys": True}
        and policies["json.dumps_function"] == provider.dumps
    )


def html_safe(text: str) -> str:
    # jinja2.utils.htmlsafe_json_dumps' escapes, in its order.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027")


def distribution_member(downloads: Downloads | None) -> str:
    """Return `, "distribution": [...]` as _member(name, schemaorg.distribution(...)) writes it; '' when not staged."""
    # Flask's JSON through htmlsafe_json_dumps cost ~100 us a staged page; the entries' shape is fixed.
    if downloads is None or downloads.state != STAGED:
        return ""
    assert downloads.zip_url is not None  # a staged section always has one
    # Members in sorted order, as Jinja's tojson policy (sort_keys) writes them.
    entries = [
        f'{{"@type": "DataDownload", "contentUrl": {encode_basestring_ascii(downloads.zip_url)}, '
        '"encodingFormat": "application/zip", "name": "Whole dataset (ZIP)"}'
    ]
    for item in downloads.all_files[:FILES_DESCRIBED]:
        entries.append(
            f'{{"@type": "DataDownload", "contentSize": "{item.size} B", '
            f'"contentUrl": {encode_basestring_ascii(item.url)}, '
            f'"encodingFormat": {encode_basestring_ascii(item.media_type)}, '
            f'"name": {encode_basestring_ascii(item.path)}, "sha256": {encode_basestring_ascii(item.sha256)}}}'
        )
    return html_safe(', "distribution": [' + ", ".join(entries) + "]")
