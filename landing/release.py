"""The release a page's parts are rendered by: another one makes stored parts stale and changes their ETags."""

from __future__ import annotations

import functools
import platform
from importlib.metadata import PackageNotFoundError, version

# dmzpub itself and the libraries whose output is in the parts' bytes (templates, escapes, JSON).
PACKAGES = ("dmzpub", "Flask", "Jinja2", "MarkupSafe", "orjson")


@functools.cache
def versions() -> str:
    """Return the versions of Python, dmzpub and the libraries writing the parts (read once per process)."""
    return ", ".join([f"Python {platform.python_version()}", *(f"{name} {_version(name)}" for name in PACKAGES)])


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:  # a source tree run without its metadata installed
        return "unknown"
