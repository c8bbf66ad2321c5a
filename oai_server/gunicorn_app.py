"""Run the Flask app under gunicorn from `dmzpub serve` (no separate config file needed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from .config import load_settings


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


def options(
    config: Mapping[str, Any], bind: str | None = None, workers: int | None = None, threads: int | None = None
) -> dict[str, Any]:
    """Return the gunicorn settings from the DMZPUB_* settings: the one source `dmzpub serve` and
    deploy/gunicorn.conf.py both use."""
    return {
        "bind": bind or config["DMZPUB_BIND"],
        "workers": workers or config["DMZPUB_WORKERS"],
        "threads": threads or config["DMZPUB_THREADS"],
        # Threads whose sockets drop trickling clients (DMZPUB_CLIENT_TIMEOUT).
        "worker_class": WORKER,
        "accesslog": "-",
        "errorlog": "-",
        # dmzpub's one log format; the app writes access lines with request ids.
        "logger_class": "oai_server.gunicorn_logging.Logger",
        # Harvest pages and ZIP downloads stream for a while: slow clients are dropped by the worker's deadline.
        "timeout": 60,
        # A reload or stop lets running downloads finish; systemd's and Kubernetes' stop timeouts are longer.
        "graceful_timeout": int(config.get("DMZPUB_GRACEFUL_TIMEOUT", 120)),
        "keepalive": 5,
        # The store is opened lazily in each worker, after the fork: no shared connections.
        "preload_app": False,
        # Only the proxy may say who the client is (the app checks the same list).
        "forwarded_allow_ips": ",".join(str(net) for net in config["DMZPUB_FORWARDED_ALLOW_IPS"]),
        # gunicorn's control socket is one path per user by default: two servers on a host shared it.
        **control_socket(config.get("DMZPUB_CONTROL_SOCKET", "")),
    }


def options_from_environment() -> dict[str, Any]:
    """Return the gunicorn settings for deploy/gunicorn.conf.py, read from the environment."""
    return options(load_settings())


def run(app: Flask, bind: str, workers: int, threads: int) -> None:
    """Serve `app` with gunicorn threaded workers until interrupted (bind, workers: the command's options)."""
    _Application(app, options(app.config, bind, workers, threads)).run()
