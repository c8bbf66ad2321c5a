"""Turn documents and withdrawals given by hand into outbox entries, checked before they are queued."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..doi import doi_key, fold_doi, normalize_doi
from ..errors import InvalidDOI
from ..record import canonical_json
from ..scicat import from_scicat
from .errors import BadDocument
from .outbox import Intent


def publication(document: Any, origin: str) -> Intent:
    """Return the entry publishing one document; raise BadDocument or InvalidRecord (checked here)."""
    if not isinstance(document, dict):
        raise BadDocument(origin, "is not a JSON object (a PublishedData document)")
    try:
        doi = normalize_doi(document.get("doi"))
    except InvalidDOI:
        raise BadDocument(origin, f"has no valid 'doi' (found {document.get('doi')!r})") from None
    record = from_scicat(document)
    body = json.dumps(document, ensure_ascii=False)
    source_hash = hashlib.sha256(canonical_json(document).encode()).hexdigest()
    return Intent("put", fold_doi(doi), doi, body=body, content_hash=record.content_hash, source_hash=source_hash)


def withdrawal_of(doi: str, reason: str | None) -> Intent:
    """Return the entry withdrawing a DOI; raise InvalidDOI for a malformed one."""
    return Intent("withdraw", doi_key(doi), normalize_doi(doi), reason=reason)


def read_documents(path: Path) -> Iterator[tuple[str, Any]]:
    """Yield (origin, document) from a JSON file holding one document or an array of them."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadDocument(str(path), f"cannot be read as JSON: {exc}") from None
    if isinstance(data, list):
        for index, document in enumerate(data):
            yield f"{path}[{index}]", document
    else:
        yield str(path), data
