"""Run the Flask app under gunicorn from `dmzpub serve` (no separate config file needed)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication


class _Application(BaseApplication):
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def control_socket(path: str) -> dict[str, Any]:
    """Return gunicorn's control-socket settings: one at `path`, or none.

    gunicorn's own default is one socket per user (~/.gunicorn/gunicorn.ctl): a second instance
    takes it over, and a system user without a writable home logs "Control server error" at start.
    """
    return {"control_socket": path} if path else {"control_socket_disable": True}


WORKER = "oai_server.gunicorn_worker.DeadlineThreadWorker"


def options(app: Flask, bind: str, workers: int, threads: int) -> dict[str, Any]:
    """Return the gunicorn settings `dmzpub serve` runs with (deploy/gunicorn.conf.py says the same)."""
    return {
        "bind": bind,
        "workers": workers,
        "threads": threads,
        # Threads whose sockets drop trickling clients (DMZPUB_CLIENT_TIMEOUT).
        "worker_class": WORKER,
        "accesslog": "-",
        "timeout": 60,
        "graceful_timeout": 10,
        "keepalive": 5,
        # Only the proxy may say who the client is (the app checks the same list).
        "forwarded_allow_ips": ",".join(str(net) for net in app.config["DMZPUB_FORWARDED_ALLOW_IPS"]),
        # gunicorn's control socket is one path per user by default: two servers on a host shared it.
        **control_socket(app.config["DMZPUB_CONTROL_SOCKET"]),
    }


def run(app: Flask, bind: str, workers: int, threads: int) -> None:
    """Serve `app` with gunicorn threaded workers until interrupted."""
    _Application(app, options(app, bind, workers, threads)).run()
