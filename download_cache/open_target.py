"""Choose the download-area backend for a URL: local folder, SFTP, or plain fsspec."""

from __future__ import annotations

from typing import Any

import fsspec

from .target_local import LocalTarget
from .target_sftp import SFTPTarget
from .targets import Target


def open_target(url: str, storage_options: dict[str, Any] | None = None) -> Target:
    """Return the target for a URL or local path."""
    fs, root = fsspec.core.url_to_fs(url, **(storage_options or {}))
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    if protocol in ("file", "local"):
        return LocalTarget(fs, root, url)
    if protocol in ("sftp", "ssh"):
        return SFTPTarget(fs, root, url)
    return Target(fs, root, url)
