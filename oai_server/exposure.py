"""Tell the operator when gunicorn would face the network instead of sitting behind nginx."""

from __future__ import annotations

import ipaddress


def bind_warning(bind: str) -> str | None:
    """Return a warning when DMZPUB_BIND is not a loopback address or a Unix socket, else None."""
    if bind.startswith("unix:") or bind.startswith("fd://"):
        return None
    host = bind.rsplit(":", 1)[0].strip("[]") if ":" in bind else bind
    if host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return (
        f"DMZPUB_BIND={bind} lets clients reach gunicorn without nginx (no buffering, no per-client limits): "
        "bind it to 127.0.0.1:<port> or unix:/run/dmzpub/gunicorn.sock"
    )
