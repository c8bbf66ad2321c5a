"""OAI-PMH protocol errors: one base class, one subclass per error code of the specification."""

from __future__ import annotations


class OAIError(Exception):
    """A protocol error answered as <error code=...> in an HTTP 200 response."""

    code = ""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(f"{self.code}: {message}")

    @property
    def echoes_arguments(self) -> bool:
        """Return whether <request> may echo the arguments (not for badVerb/badArgument)."""
        return True


class BadVerb(OAIError):
    """The verb is missing, repeated or not an OAI-PMH verb."""

    code = "badVerb"

    @property
    def echoes_arguments(self) -> bool:
        return False


class BadArgument(OAIError):
    """An argument is missing, unknown, repeated, malformed or not allowed with the others."""

    code = "badArgument"

    def __init__(self, message: str, argument: str | None = None) -> None:
        self.argument = argument
        super().__init__(message)

    @property
    def echoes_arguments(self) -> bool:
        return False


class BadResumptionToken(OAIError):
    """The resumption token is not one this repository issued, or it was altered or expired."""

    code = "badResumptionToken"


class CannotDisseminateFormat(OAIError):
    """The metadata format is not supported by the repository or by the item."""

    code = "cannotDisseminateFormat"


class IdDoesNotExist(OAIError):
    """The identifier is unknown or illegal in this repository."""

    code = "idDoesNotExist"


class NoRecordsMatch(OAIError):
    """The combination of from, until, set and metadataPrefix selects no records."""

    code = "noRecordsMatch"


class NoMetadataFormats(OAIError):
    """The item has no metadata format available."""

    code = "noMetadataFormats"


class NoSetHierarchy(OAIError):
    """The repository has no sets (yet)."""

    code = "noSetHierarchy"


ALL_ERRORS: tuple[type[OAIError], ...] = (
    BadVerb,
    BadArgument,
    BadResumptionToken,
    CannotDisseminateFormat,
    IdDoesNotExist,
    NoRecordsMatch,
    NoMetadataFormats,
    NoSetHierarchy,
)
