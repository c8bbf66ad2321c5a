"""DMZPUB_SOURCE_MAP: prefix rules turning SciCat's `sourceFolderHost` + `sourceFolder` into a readable location.

A rule is `[HOST:]PREFIX=LOCATION`; rules are separated by `;` or new lines and tried in order,
the first match wins. PREFIX is an absolute folder as SciCat records it; HOST (optional) is
compared with the host name in `sourceFolderHost` (SciCat allows "[protocol://]host"). LOCATION
is a local folder or an `sftp://user@host[:port]/path` URL. Folders no rule matches are
reported as unmapped, never guessed.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from urllib.parse import urlsplit


class SourceMapError(ValueError):
    """A DMZPUB_SOURCE_MAP rule is malformed."""


class Unmapped(LookupError):
    """No rule maps a dataset's source folder."""

    def __init__(self, host: str, folder: str) -> None:
        self.host, self.folder = host, folder
        where = f"{host}:{folder}" if host else folder
        super().__init__(f"no DMZPUB_SOURCE_MAP rule maps the source folder {where}")


@dataclass(frozen=True)
class Rule:
    """One prefix rule."""

    host: str
    prefix: str
    location: str

    def apply(self, host: str, folder: str) -> str | None:
        """Return the location of `folder` under this rule, or None when the rule does not match."""
        if self.host and self.host != host:
            return None
        if folder != self.prefix and not folder.startswith(self.prefix.rstrip("/") + "/"):
            return None
        rest = folder[len(self.prefix) :].strip("/")
        return posixpath.join(self.location, rest) if rest else self.location


def host_name(source_folder_host: str) -> str:
    """Return the bare host name of a `sourceFolderHost` value ("nfs://fs1.example.org:2049" -> fs1.example.org)."""
    text = source_folder_host.strip()
    if not text:
        return ""
    return (urlsplit(text if "://" in text else "//" + text).hostname or "").lower()


def parse_rule(text: str) -> Rule:
    """Return one rule; raise SourceMapError naming what is wrong."""
    left, sep, location = text.partition("=")
    left, location = left.strip(), location.strip()
    if not sep or not left or not location:
        raise SourceMapError(f"{text!r} is not [HOST:]PREFIX=LOCATION")
    host, prefix = ("", left) if left.startswith("/") else left.split(":", 1) if ":" in left else ("", left)
    if not prefix.startswith("/"):
        raise SourceMapError(f"{text!r}: the source folder prefix must be absolute, like /data/beamline")
    scheme = urlsplit(location).scheme
    if not location.startswith("/") and scheme not in ("sftp", "ssh", "file"):
        raise SourceMapError(f"{text!r}: the location must be an absolute folder or an sftp:// URL")
    return Rule(host.strip().lower(), posixpath.normpath(prefix), location.rstrip("/") or "/")


@dataclass(frozen=True)
class SourceMap:
    """The ordered rules of DMZPUB_SOURCE_MAP."""

    rules: tuple[Rule, ...] = ()

    @staticmethod
    def parse(text: str) -> SourceMap:
        """Return the map of a setting's value; raise SourceMapError."""
        parts = [p.strip() for line in text.splitlines() for p in line.split(";")]
        return SourceMap(tuple(parse_rule(p) for p in parts if p and not p.startswith("#")))

    def resolve(self, source_folder_host: str, source_folder: str) -> str:
        """Return where a dataset's folder is readable from here; raise Unmapped."""
        host = host_name(source_folder_host)
        folder = posixpath.normpath(source_folder)
        for rule in self.rules:
            location = rule.apply(host, folder)
            if location is not None:
                return location
        raise Unmapped(host, source_folder)
