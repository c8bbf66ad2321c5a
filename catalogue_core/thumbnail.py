"""SciCat thumbnails: data URLs checked once at write, kept only when they really are PNG, JPEG, GIF or WebP."""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
from dataclasses import dataclass
from typing import Any

from .urls import THUMBNAIL_EXPORT

log = logging.getLogger(__name__)
THUMBNAIL_SUFFIX = THUMBNAIL_EXPORT
_DATA_URL = re.compile(r"^data:([\w.+-]+/[\w.+-]+)?((?:;[\w.+-]+=[^;,]*)*)(;base64)?,", re.I)


@dataclass(frozen=True)
class Thumbnail:
    """A record's thumbnail as decoded at write: served as is, never decoded again."""

    media_type: str
    data: bytes
    sha256: str


def image_type(data: bytes) -> str | None:
    """Return the media type the bytes' signature shows, if it is one a browser shows safely."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def decode(value: Any) -> tuple[str, bytes] | None:
    """Return (media type, image bytes) of a data URL, or None (logged) when it is not a safe image.

    The media type comes from the bytes, not from what the URL claims: an SVG (which can carry
    script) or HTML labelled image/png is dropped.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    match = _DATA_URL.match(value)
    if match is None or not match.group(3):
        log.warning("thumbnail dropped: not a base64 data URL (%.40s...)", value)
        return None
    try:
        data = base64.b64decode("".join(value[match.end() :].split()), validate=True)
    except (binascii.Error, ValueError):
        log.warning("thumbnail dropped: its base64 does not decode")
        return None
    media_type = image_type(data)
    if media_type is None:
        log.warning("thumbnail dropped: not a PNG, JPEG, GIF or WebP image (claimed %s)", match.group(1))
        return None
    return media_type, data


def read(value: Any) -> Thumbnail | None:
    """Return the thumbnail of a data URL, decoded and hashed, or None (logged) when it is not a safe image."""
    decoded = decode(value)
    if decoded is None:
        return None
    media_type, data = decoded
    return Thumbnail(media_type, data, hashlib.sha256(data).hexdigest())


def described(image: Thumbnail) -> dict[str, Any]:
    """Return what the record keeps about a thumbnail: type, size, hash."""
    return {"mediaType": image.media_type, "bytes": len(image.data), "sha256": image.sha256}


def descriptor(value: Any) -> dict[str, Any] | None:
    """Return what the record keeps about a thumbnail (type, size, hash), or None when it is dropped."""
    image = read(value)
    return described(image) if image is not None else None


def source(payload: Any) -> Any:
    """Return the thumbnail data URL a SciCat document carries (v3 top level, or migrated `metadata`)."""
    if not isinstance(payload, dict):
        return None
    metadata = payload.get("metadata")
    nested = metadata.get("thumbnail") if isinstance(metadata, dict) else None
    return payload.get("thumbnail") or nested


def image(extras: dict[str, Any], payload: Any) -> Thumbnail | None:
    """Return the decoded thumbnail of a record that kept one (its extras describe it), else None."""
    kept = extras.get("thumbnail")
    decoded = decode(source(payload)) if isinstance(kept, dict) and kept.get("sha256") else None
    if decoded is None:
        return None
    return Thumbnail(decoded[0], decoded[1], str(kept["sha256"]))  # type: ignore[index]
