"""Exceptions of catalogue_core: one base class, subclasses that carry their context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class CatalogueError(Exception):
    """Base class of every error raised by catalogue_core."""


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with one field of an incoming document."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """Return the problem as a JSON-ready mapping."""
        return {"field": self.field, "message": self.message}


class InvalidRecord(CatalogueError):
    """An incoming document cannot become a published record; names every bad field."""

    def __init__(self, problems: list[FieldProblem], title: str = "Invalid record") -> None:
        self.problems = problems
        self.title = title
        fields = ", ".join(dict.fromkeys(p.field for p in problems))
        super().__init__(f"{title}: {fields}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled by reindex's worker processes; the default would call __init__ with the message alone.
        return type(self), (self.problems, self.title)


class NotPublishable(InvalidRecord):
    """The document is valid but its status says it must not be published."""


class InvalidDOI(InvalidRecord):
    """A DOI does not have the syntax 10.<registrant>/<suffix>."""

    def __init__(self, value: object, field: str = "doi") -> None:
        self.value = value
        super().__init__(
            [FieldProblem(field, f"{value!r} is not a DOI of the form 10.<registrant>/<suffix>")],
            title="Invalid DOI",
        )


class StoreError(CatalogueError):
    """Base class of storage failures."""


class StoreUnavailable(StoreError):
    """The store does not answer; the caller should retry later."""


class QueryTooCostly(StoreUnavailable):
    """A public query ran past its time budget and was stopped by the store."""


class RecordNotFound(StoreError):
    """No record, not even a tombstone, exists for the DOI."""

    def __init__(self, doi: str) -> None:
        self.doi = doi
        super().__init__(f"no record for DOI {doi}")
