"""The download area's checksum: SHA-256, computed here for the copier, fixity and downloads alike."""

from __future__ import annotations

import hashlib
from typing import IO, Any

ALGORITHM = "sha256"
CHUNK = 1 << 20


def new_hash() -> Any:
    """Return a fresh hasher of the area's algorithm (for bytes hashed while they stream)."""
    return hashlib.new(ALGORITHM)


def digest_bytes(data: bytes) -> str:
    """Return the hex checksum of bytes."""
    return hashlib.new(ALGORITHM, data).hexdigest()


def digest_file(handle: IO[bytes], chunk: int = CHUNK) -> str:
    """Return the hex checksum of an open file read to its end (local or remote handle)."""
    hasher = new_hash()
    while block := handle.read(chunk):
        hasher.update(block)
    return hasher.hexdigest()
