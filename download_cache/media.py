"""The media type of a staged file: one guess, announced by pages and served by downloads alike."""

from __future__ import annotations

import mimetypes

# Python's own table only: the host's /etc/mime.types must not change what is announced or served.
_TYPES = mimetypes.MimeTypes(filenames=())
# A compressed file is delivered as the compressed bytes it is (run42.tar.gz is gzip, not tar).
_ENCODED = {"gzip": "application/gzip", "bzip2": "application/x-bzip2", "xz": "application/x-xz"}
UNKNOWN = "application/octet-stream"


def media_type(path: str) -> str:
    """Return a staged file's media type from its name; octet-stream when unknown."""
    guessed, encoding = _TYPES.guess_type(path, strict=False)
    if encoding:
        return _ENCODED.get(encoding, UNKNOWN)
    return guessed or UNKNOWN


def content_type(path: str) -> str:
    """Return the Content-Type a staged file is served with: its media type, UTF-8 for text."""
    kind = media_type(path)
    return kind + ("; charset=utf-8" if kind.startswith("text/") else "")
