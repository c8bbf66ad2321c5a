"""Run the Flask app under gunicorn from `dmzpub serve` (no separate config file needed)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication


class _Application(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def run(app: Flask, bind: str, workers: int, threads: int) -> None:
    """Serve `app` with gunicorn threaded workers until interrupted."""
    _Application(
        app,
        {
            "bind": bind,
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "accesslog": "-",
            "logger_class": "oai_server.gunicorn_logging.Logger",
            "timeout": 60,
            "graceful_timeout": 10,
        },
    ).run()
