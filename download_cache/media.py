"""The media type of a staged file: one guess, announced by pages and served by downloads alike."""

from __future__ import annotations

import mimetypes
import posixpath

# Python's own table only: the host's /etc/mime.types must not change what is announced or served.
_TYPES = mimetypes.MimeTypes(filenames=())
# A compressed file is delivered as the compressed bytes it is (run42.tar.gz is gzip, not tar).
_ENCODED = {"gzip": "application/gzip", "bzip2": "application/x-bzip2", "xz": "application/x-xz"}
UNKNOWN = "application/octet-stream"
# Answers by last extension (splitext's, case kept): bounded, as file names come from facilities' manifests.
_BY_EXTENSION: dict[str, str] = {}
_MAX_EXTENSIONS = 4096


def guess(path: str) -> str:
    """Return a staged file's media type as mimetypes guesses it (a name, or a URL when it has a scheme)."""
    guessed, encoding = _TYPES.guess_type(path, strict=False)
    if encoding:
        return _ENCODED.get(encoding, UNKNOWN)
    return guessed or UNKNOWN


def media_type(path: str) -> str:
    """Return a staged file's media type from its name; octet-stream when unknown (the same answer as `guess`)."""
    # guess() parses each name as a URL (~12 us, five times a staged page). Without a ':' there is no
    # scheme, and mimetypes' answer then depends on the last extension only (suffix_map, then encodings, types).
    if ":" in path:
        return guess(path)
    extension = posixpath.splitext(path)[1]
    if (found := _BY_EXTENSION.get(extension)) is None:
        found = guess("x" + extension)
        if len(_BY_EXTENSION) < _MAX_EXTENSIONS:
            _BY_EXTENSION[extension] = found
    return found


def content_type(path: str) -> str:
    """Return the Content-Type a staged file is served with: its media type, UTF-8 for text."""
    kind = media_type(path)
    return kind + ("; charset=utf-8" if kind.startswith("text/") else "")
