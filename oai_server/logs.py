"""One logging setup for the server and the CLI: timestamps, levels, request ids, text or JSON."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"
JSON_RENAME = {"asctime": "time", "levelname": "level", "name": "logger"}
HEADER = "X-Request-ID"
# A caller's id is kept only when it is short and plain: it ends up in every log line.
VALID_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
_HANDLER_NAME = "dmzpub"


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request being served ('-' outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class _Stderr(logging.StreamHandler):
    """Write to whatever sys.stderr is at the time (a test runner swaps it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


class _UTCFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"


class _JSONFormatter(JsonFormatter):
    formatTime = _UTCFormatter.formatTime


def formatter(kind: str) -> logging.Formatter:
    """Return the formatter of DMZPUB_LOG_FORMAT (`text` or `json`)."""
    if kind == "json":
        return _JSONFormatter(JSON_FIELDS, rename_fields=JSON_RENAME, json_ensure_ascii=False)
    return _UTCFormatter(TEXT_FORMAT)


def setup(kind: str = "text", level: str = "INFO", stream: Any = None) -> logging.Handler:
    """Send every logger's lines to stderr (or `stream`) in one format; calling again replaces the setup."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    handler: logging.Handler = logging.StreamHandler(stream) if stream else _Stderr()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter(kind))
    handler.addFilter(RequestIdFilter())  # on the handler: records of every logger pass it
    root.addHandler(handler)
    root.setLevel(level)
    # Our formats name no source line, thread or process: the logging docs' "Optimization" switches
    # spare every record (an access line per request) the stack walk and the lookups.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging.logAsyncioTasks = False  # type: ignore[attr-defined]  # Python 3.12+; typeshed lags
    # gunicorn's own lines (start, workers, access) go through the same handler and format.
    for name in ("gunicorn.error", "gunicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    return handler


def request_id() -> str:
    """Return the id of the current request."""
    return g.get("request_id", "-")


def init_app(app: Flask) -> None:
    """Give every request an id (the caller's X-Request-ID, or a new one) and echo it back."""
    access = logging.getLogger("dmzpub.access")

    @app.before_request
    def _assign() -> None:
        given = request.headers.get(HEADER, "")
        g.request_id = given if VALID_ID.fullmatch(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _echo(response: Response) -> Response:
        response.headers[HEADER] = request_id()
        elapsed = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
        access.info(
            "%s %s %s %.1fms",
            request.method,
            request.path,
            response.status_code,
            elapsed,
            extra={"method": request.method, "path": request.path, "status": response.status_code},
        )
        return response


def setup_from_environment() -> None:
    """Apply DMZPUB_LOG_FORMAT and DMZPUB_LOG_LEVEL (every command, and gunicorn, call this first)."""
    import os

    from .config import BY_NAME, ConfigError
    from .config_error import ConfigurationError

    try:
        kind, level = (
            BY_NAME[name].parse(name, os.environ.get(name, BY_NAME[name].default or ""))
            for name in ("DMZPUB_LOG_FORMAT", "DMZPUB_LOG_LEVEL")
        )
    except ConfigError as exc:
        raise ConfigurationError(f"configuration error: {exc}") from None
    setup(kind, level)
