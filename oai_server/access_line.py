"""A request's access line (and the audit trail's lines): written straight to dmzpub's log handler when nothing
else listens, else via logging.

The logging path (a LogRecord, the logger and handler chains, filters, the formatter) cost about as
much CPU as a fast route's whole answer (oai_server/fast_routes.py; bench/stack.py). When the
setup is dmzpub's own in the text format, the line is built here with the same bytes; any other
set-up (JSON, a test's capture handler, an added filter or handler) gets the logging path as before.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from .request import path_of

ACCESS = logging.getLogger("dmzpub.access")
_INFO = logging.INFO
_second: tuple[int, str] = (-1, "")  # (a second, its formatted stamp): one tuple, swapped whole
_direct: tuple[logging.Handler, logging.Formatter] | None = None  # the text set-up logs.setup made, if any


def stamp(created: float, msecs: float) -> str:
    """Return a log line's UTC time as `asctime` (2026-01-31T12:00:00.123Z); one strftime per second."""
    global _second
    second, text = _second
    if second != int(created):
        second = int(created)
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _second = (second, text)
    return f"{text}.{int(msecs):03d}Z"


def use(handler: logging.Handler | None, text_formatter: logging.Formatter | None) -> None:
    """Write lines straight to `handler` while it is the only one and formats with `text_formatter` (logs.setup)."""
    global _direct
    plain = isinstance(handler, logging.StreamHandler) and handler.terminator == "\n"
    _direct = (handler, text_formatter) if plain and handler and text_formatter else None


def _handler(logger: logging.Logger = ACCESS) -> logging.Handler | None:
    """Return the handler to write `logger`'s lines to directly, or None when they must go through logging."""
    direct = _direct
    if direct is None:
        return None
    handler, text = direct
    root = logging.root
    if (
        len(root.handlers) != 1
        or root.handlers[0] is not handler
        or handler.formatter is not text
        or logger.filters
        or len(handler.filters) != 1  # logs.RequestIdFilter only: the line brings its id
        or handler.level > _INFO
    ):
        return None
    node: logging.Logger | None = logger
    while node is not root and node is not None:  # what Logger.callHandlers walks on the way to the root
        if node.handlers or not node.propagate:
            return None
        node = node.parent
    return handler


def clock(now: int) -> tuple[float, float]:
    """Return (created, msecs) as a LogRecord computes them from time.time_ns(), its rounding at a second's end too."""
    created = now / 1e9
    msecs = (now % 1_000_000_000) // 1_000_000 + 0.0
    if msecs == 999.0 and int(created) != now // 1_000_000_000:
        msecs = 0.0
    return created, msecs


def write(environ: dict[str, Any], status: int, rid: str, elapsed: float) -> None:
    """Log one request: `METHOD path status 1.2ms`, with the request id."""
    if not ACCESS.isEnabledFor(_INFO):
        return
    method, path = environ.get("REQUEST_METHOD", "GET"), path_of(environ)
    if not info(ACCESS, rid, f"{method} {path} {status} {elapsed:.1f}ms"):
        extra = {"method": method, "path": path, "status": status, "request_id": rid}
        ACCESS.info("%s %s %s %.1fms", method, path, status, elapsed, extra=extra)


def info(logger: logging.Logger, rid: str, message: str) -> bool:
    """Write an INFO line of `logger` (enabled: the caller checks) straight to dmzpub's text handler, with the
    bytes logging would write; False, writing nothing, when the line must go through logging."""
    handler = _handler(logger)
    if handler is None:
        return False
    line = f"{stamp(*clock(time.time_ns()))} INFO {logger.name} [{rid}] {message}\n"
    stream: Any = getattr(handler, "stream", None)
    with handler.lock:  # type: ignore[union-attr]  # as Handler.handle: whole lines, never interleaved
        try:
            stream.write(line)
            stream.flush()
        except RecursionError:
            raise
        except Exception:  # as StreamHandler.emit: report on stderr, never fail the request
            handler.handleError(logger.makeRecord(logger.name, _INFO, "", 0, line.rstrip("\n"), (), None))
    return True
