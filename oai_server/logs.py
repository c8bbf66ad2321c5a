"""One logging setup for the server and the CLI: timestamps, levels, request ids, text or JSON."""

from __future__ import annotations

import logging
import random
import re
import sys
import time
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from pythonjsonlogger.json import JsonFormatter

from . import access_line

if TYPE_CHECKING:
    from flask import Flask

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"
JSON_RENAME = {"asctime": "time", "levelname": "level", "name": "logger"}
HEADER = "X-Request-ID"
ENVIRON_HEADER = "HTTP_X_REQUEST_ID"
ENVIRON_KEY = "dmzpub.request_id"  # the request's id in the WSGI environ
# A caller's id is kept only when it is short and plain: it ends up in every log line.
VALID_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
_HANDLER_NAME = "dmzpub"
# The request id while a fast route's handler runs (oai_server.fast_routes): it has no Flask request context.
CURRENT_ID: ContextVar[str] = ContextVar("dmzpub_request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request being served ('-' outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id()
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
        return access_line.stamp(record.created, record.msecs)


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
    handler.setFormatter(line_format := formatter(kind))
    handler.addFilter(RequestIdFilter())  # on the handler: records of every logger pass it
    root.addHandler(handler)
    root.setLevel(level)
    access_line.use(handler, line_format if kind == "text" else None)
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
    # Flask is not imported to ask: intranet commands log without it (~0.15 s a start), and outside any request.
    flask = sys.modules.get("flask")
    if flask is not None and flask.has_request_context():
        return flask.request.environ.get(ENVIRON_KEY, "-")
    return CURRENT_ID.get()


def new_id() -> str:
    """Return a new request id: 32 hex digits.

    From `random`, not uuid4: an id needs to be unique, not secret, and uuid4's os.urandom is a
    system call per request (each releasing the GIL). `random` is reseeded in every forked worker.
    """
    return f"{random.getrandbits(128):032x}"


class RequestLog:
    """WSGI middleware: give every request an id (the caller's X-Request-ID, or a new one), echo it back
    and write its access line.

    At the WSGI layer rather than as Flask before/after_request hooks: the hooks, `g` and werkzeug's
    header objects cost about as much per request as a whole hello-world Flask request (bench/stack.py).
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        started = time.perf_counter()
        given = environ.get(ENVIRON_HEADER, "")
        rid = environ[ENVIRON_KEY] = given if VALID_ID.fullmatch(given) else new_id()

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append((HEADER, rid))
            access_line.write(environ, int(status[:3]), rid, (time.perf_counter() - started) * 1000)
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


def init_app(app: Flask) -> None:
    """Give every request an id and an access line (RequestLog, innermost around the Flask app)."""
    app.wsgi_app = RequestLog(app.wsgi_app)  # type: ignore[method-assign]


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
