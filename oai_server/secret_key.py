"""The server's signing key: DMZPUB_SECRET_KEY, or one generated once and shared by all workers."""

from __future__ import annotations

import contextlib
import os
import secrets
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .config import ConfigError

KEY_FILE = "secret_key"


def secret_key(config: Mapping[str, Any]) -> str:
    """Return DMZPUB_SECRET_KEY, or the key persisted under DMZPUB_DATA_DIR (created if missing)."""
    if config["DMZPUB_SECRET_KEY"]:
        return config["DMZPUB_SECRET_KEY"]
    path = Path(config["DMZPUB_DATA_DIR"]) / KEY_FILE
    try:
        return load_or_create(path)
    except OSError as exc:
        raise ConfigError(
            "DMZPUB_SECRET_KEY",
            f"is unset and {path} cannot be read or created ({exc.strerror or exc})",
            "set DMZPUB_SECRET_KEY, or make DMZPUB_DATA_DIR writable",
        ) from None


def load_or_create(path: Path) -> str:
    """Return the key stored at `path`; create it (mode 0600) atomically if it does not exist."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write a complete private file, then link it into place: the link is atomic and fails
    # if another worker won the race, so every process ends up reading the same key.
    draft = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_urlsafe(48))
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
    finally:
        draft.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> str:
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 16:
        raise ConfigError("DMZPUB_SECRET_KEY", f"the key file {path} is empty or too short", f"delete {path}")
    return key
