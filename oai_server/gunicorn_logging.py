"""gunicorn's logger class for dmzpub: its lines go through dmzpub's one logging setup."""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

from .logs import setup_from_environment


class Logger(GunicornLogger):
    """Master and worker lines in dmzpub's format; the app writes the access lines, with request ids."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        setup_from_environment()
        for logger in (self.error_log, self.access_log):
            logger.handlers.clear()
            logger.propagate = True

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """Leave access lines to the app (`dmzpub.access`), which knows the request id."""
