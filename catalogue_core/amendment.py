"""Amendments: a partial document set onto the stored payload, as SciCat's OAI provider did."""

from __future__ import annotations

from typing import Any

from .errors import FieldProblem, InvalidRecord


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def merged_payload(stored: Any, amendment: Any) -> dict[str, Any]:
    """Return the stored payload with the amendment's top-level fields set onto it.

    SciCat's provider applied a resync with `updateOne({doi}, {$set: body})`; the body holds
    only the edit form's fields, so every other stored field (status, registeredTime,
    affiliation, authors, ...) keeps its value. A null or empty value does not overwrite a
    stored one: SciCat's frontend v3.1.0 sends `numberOfFiles: null` and `url: ""` for fields
    its form does not show, and those must not wipe what was registered.
    """
    if not isinstance(amendment, dict):
        raise InvalidRecord([FieldProblem("/", "the body must be a JSON object (the fields to change)")])
    merged = dict(stored) if isinstance(stored, dict) else {}
    for name, value in amendment.items():
        if _blank(value) and not _blank(merged.get(name)):
            continue
        merged[name] = value
    return merged
