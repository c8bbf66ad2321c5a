"""Mistakes `dmzpub check-config` catches beyond single bad values: typos, gaps and contradictions."""

from __future__ import annotations

import difflib
import ipaddress
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .config import BY_NAME, OTHER_NAMES

LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


def unknown_names(environ: Mapping[str, str]) -> Iterator[str]:
    """Name every DMZPUB_* variable no setting reads, with the nearest known name."""
    known = [*BY_NAME, *OTHER_NAMES]
    for name in sorted(environ):
        if name.startswith("DMZPUB_") and name not in known:
            near = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"did you mean {near[0]}?" if near else "see README, Configuration"
            yield f"{name} is not a dmzpub setting and is ignored. Fix: {hint}"


def loopback_host(host: str) -> bool:
    """Tell whether a host name or address reaches this machine only."""
    host = host.lower().strip("[]")
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback(url: str) -> bool:
    """Tell whether a URL's host is this machine only, or no host at all (nobody else can follow its links)."""
    host = urlsplit(url).hostname or ""
    return loopback_host(host) or host in ("0.0.0.0", "::")


def no_token(config: Mapping[str, Any]) -> Iterator[str]:
    """Complain when nobody could push: the DMZ would stay empty."""
    if not (config["DMZPUB_PUSH_TOKENS"] or config["DMZPUB_PUSH_TOKENS_FILE"] or config["DMZPUB_SCICAT_BASIC"]):
        yield (
            "no push token is configured, so nothing can be published. "
            "Fix: set DMZPUB_PUSH_TOKENS_FILE to a file of name:token lines (or DMZPUB_PUSH_TOKENS)"
        )


def loopback_base(config: Mapping[str, Any], demo: bool) -> Iterator[str]:
    """Complain when published links would point at the server's own loopback address."""
    if not demo and is_loopback(config["DMZPUB_BASE_URL"]):
        yield (
            f"DMZPUB_BASE_URL is {config['DMZPUB_BASE_URL']}, a loopback address: every DOI landing page, "
            "OAI record and download link would point there. Fix: set it to the public https:// URL "
            "(or run check-config --demo for a local trial)"
        )


def folders(config: Mapping[str, Any]) -> Iterator[str]:
    """Complain about state folders that are missing or that this user cannot write."""
    for name in ("DMZPUB_DATA_DIR", "DMZPUB_DOWNLOAD_DIR"):
        path = Path(config[name])
        if not path.is_dir():
            yield f"{name}: {path} is not a folder. Fix: create it (mkdir -p {path}) owned by the service user"
        elif not os.access(path, os.W_OK | os.X_OK):
            yield f"{name}: {path} is not writable by this user. Fix: chown it to the service user"


def accel(config: Mapping[str, Any]) -> Iterator[str]:
    """Complain when nginx is to send file bytes but the settings say nginx is not in front."""
    if config["DMZPUB_DOWNLOAD_ACCEL"] != "nginx":
        return
    if not config["DMZPUB_PROXY_COUNT"]:
        yield (
            "DMZPUB_DOWNLOAD_ACCEL=nginx but DMZPUB_PROXY_COUNT is 0: without nginx in front every download "
            "is an empty X-Accel-Redirect answer. Fix: put nginx in front (deploy/nginx.conf) and set "
            "DMZPUB_PROXY_COUNT=1, or unset DMZPUB_DOWNLOAD_ACCEL"
        )
    bind = config["DMZPUB_BIND"]
    if not bind.startswith("unix:") and not loopback_host(bind.rpartition(":")[0] or "0.0.0.0"):
        yield (
            f"DMZPUB_DOWNLOAD_ACCEL=nginx but DMZPUB_BIND is {config['DMZPUB_BIND']}: clients reaching gunicorn "
            "directly get empty downloads. Fix: bind to 127.0.0.1 (or a unix: socket) behind nginx"
        )


def problems(config: Mapping[str, Any], environ: Mapping[str, str], demo: bool = False) -> list[str]:
    """Return every mistake found, each naming the setting and the fix."""
    return [
        *unknown_names(environ),
        *no_token(config),
        *loopback_base(config, demo),
        *folders(config),
        *accel(config),
    ]
