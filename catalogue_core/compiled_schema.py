"""A JSON schema compiled once: a fast yes/no check, and the reference validator's messages for a no."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import jsonschema_rs


class CompiledSchema:
    """Check documents against one JSON schema object, whatever the project defines it to be.

    Nearly every pushed record is valid, so the common case is one call into the compiled
    (Rust) validator; only a refused record goes through `jsonschema`, whose error messages and
    paths are what the push API has always answered (a test runs both over hostile input).
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        # Formats are annotations in draft 2019-09 and the reference does not check them either.
        self._fast = jsonschema_rs.validator_for(schema, validate_formats=False)

    @cached_property
    def reference(self) -> Any:
        """The `jsonschema` validator, built at the first refusal: importing it costs every process ~0.1 s."""
        from jsonschema.validators import validator_for

        return validator_for(self.schema)(self.schema)

    def is_valid(self, instance: Any) -> bool:
        """Return whether the instance satisfies the schema (the compiled check)."""
        try:
            return self._fast.is_valid(instance)
        except (ValueError, TypeError, OverflowError):  # what Rust cannot hold (a lone surrogate in a key, ...)
            return not any(True for _ in self.reference.iter_errors(instance))

    def problems(self, instance: Any) -> list[tuple[str, str]]:
        """Return (field path, message) for every way the instance breaks the schema, in path order."""
        if self.is_valid(instance):
            return []
        return reference_problems(self.reference, instance)


def reference_problems(validator: Any, instance: Any) -> list[tuple[str, str]]:
    """Return the `jsonschema` validator's errors as (field path under `metadata`, message) in path order."""
    out = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))):
        path = "metadata"
        for part in error.absolute_path:
            path += f"[{part}]" if isinstance(part, int) else f".{part}"
        out.append((path, error.message[:300]))
    return out
