"""Exceptions of the publisher: one base class, subclasses that carry their context."""

from __future__ import annotations

from ..errors import CatalogueError


class PublisherError(CatalogueError):
    """Base class of every error raised while pushing records to the DMZ."""


class DMZUnavailable(PublisherError):
    """The DMZ did not answer usefully (down, timeout, 5xx, 429); retrying later may work."""

    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        self.url, self.reason, self.status = url, reason, status
        super().__init__(f"{url}: {reason}")


class PushRefused(PublisherError):
    """The DMZ refused us as a client (bad token, wrong network, no push API); fix the settings."""

    def __init__(self, url: str, status: int, detail: str) -> None:
        self.url, self.status, self.detail = url, status, detail
        super().__init__(f"{url}: HTTP {status}: {detail}")


class UntrustedCertificate(PushRefused):
    """The DMZ's TLS certificate could not be verified: a setting to fix, not an outage to wait out."""

    def __init__(self, url: str, detail: str) -> None:
        self.url, self.status, self.detail = url, 0, detail
        PublisherError.__init__(
            self,
            f"{url}: the DMZ's TLS certificate is not trusted ({detail}); not retried, entries stay queued. "
            "Fix: set DMZPUB_CA_BUNDLE to the PEM file of the CA that signed the DMZ's certificate",
        )


class Rejected(PublisherError):
    """The DMZ rejected one record (4xx); retrying the same record cannot succeed."""

    def __init__(self, doi: str, status: int, detail: str) -> None:
        self.doi, self.status, self.detail = doi, status, detail
        super().__init__(f"{doi}: HTTP {status}: {detail}")


class SciCatUnreadable(PublisherError):
    """The SciCat backend could not be read; nothing is withdrawn on a partial read."""

    def __init__(self, url: str, detail: str) -> None:
        self.url, self.detail = url, detail
        super().__init__(f"{url}: {detail}")


class BadDocument(PublisherError):
    """A document given to push has no usable DOI or is not a JSON object."""

    def __init__(self, origin: str, detail: str) -> None:
        self.origin, self.detail = origin, detail
        super().__init__(f"{origin}: {detail}")


class OutboxUnwritable(PublisherError):
    """The outbox file could not be written (disk full, read-only); the change was rolled back whole."""

    def __init__(self, path: object, detail: str) -> None:
        self.path, self.detail = path, detail
        super().__init__(
            f"cannot write the outbox {path} ({detail}); nothing of this change was kept, entries queued before are. "
            "Fix: free disk space or make DMZPUB_DATA_DIR writable, then run the command again"
        )
