"""Exceptions of download_cache: one base class, subclasses that carry their context."""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import HTTPException


class DownloadCacheError(Exception):
    """Base class of every error raised by download_cache."""


class UnsafePath(DownloadCacheError):
    """A path from a source, a manifest or a request would leave its dataset folder."""

    def __init__(self, path: str, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(f"unsafe path {path!r}: {reason}")


class SourceError(DownloadCacheError):
    """The source cannot be listed or read as asked."""

    def __init__(self, where: str, reason: str) -> None:
        self.where, self.reason = where, reason
        super().__init__(f"{where}: {reason}")


class ChecksumMismatch(DownloadCacheError):
    """A copied file does not match the checksum its source lists; the copy was quarantined."""

    def __init__(
        self, path: str, expected: str, actual: str, quarantined: str | None, algorithm: str = "sha256"
    ) -> None:
        self.path, self.expected, self.actual, self.quarantined = path, expected, actual, quarantined
        where = f"; quarantined as {quarantined}" if quarantined else ""
        super().__init__(f"{path}: {algorithm} {actual} does not match the source's {expected}{where}")


class StageFailed(DownloadCacheError):
    """A stage ended with failed files; the dataset was not made visible."""

    def __init__(self, key: str, failures: dict[str, str]) -> None:
        self.key, self.failures = key, failures
        listed = "; ".join(f"{path}: {why}" for path, why in sorted(failures.items()))
        super().__init__(f"staging {key} failed for {len(failures)} file(s): {listed}")


class StageBusy(DownloadCacheError):
    """Another stage of the same dataset holds its lock."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"another stage of {key} is running")


class NotStaged(DownloadCacheError):
    """The dataset is not in the download area (or not in the state the operation needs)."""

    def __init__(self, key: str, state: str) -> None:
        self.key, self.state = key, state
        super().__init__(f"{key} is {state} in the download area")


class UnknownHostKey(DownloadCacheError):
    """An SFTP server's host key is not in the known_hosts file; we never trust on first use."""

    def __init__(self, host: str, known_hosts: str, fingerprint: str) -> None:
        self.host, self.known_hosts, self.fingerprint = host, known_hosts, fingerprint
        super().__init__(
            f"host key of {host} (SHA256:{fingerprint}) is not in {known_hosts}: "
            f"check it with the cache server's operator, then add it (ssh-keyscan) or pass --known-hosts"
        )


class DownloadRefused(HTTPException):
    """A download cannot be served; the app answers it with an error page that links back to `landing`."""

    def __init__(self, code: int, description: str, landing: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.landing, self.retry_after = code, landing, retry_after

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        """Return the default headers, plus Retry-After when trying later may help."""
        headers = super().get_headers(*args, **kwargs)
        return [*headers, ("Retry-After", str(self.retry_after))] if self.retry_after else headers
