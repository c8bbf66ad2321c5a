"""Exceptions of the landing pages: one base class, subclasses carrying what was asked for."""

from __future__ import annotations


class LandingError(Exception):
    """Base class of every error raised by the landing pages."""


class NoSuchRecord(LandingError):
    """No record, not even a withdrawn one, is published under the DOI asked for."""

    def __init__(self, asked: str) -> None:
        self.asked = asked
        super().__init__(f"no published record for {asked!r}")


class BadListingQuery(LandingError):
    """The index was asked for a page position or search text it cannot use."""

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        self.message = message
        super().__init__(f"{parameter}: {message}")
