"""Real HTTP servers for the publisher tests: the DMZ app on a loopback port, and a SciCat stand-in."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


class _Handler(WSGIRequestHandler):
    """Track open connections so that stopping the server really cuts every client off."""

    def setup(self) -> None:
        super().setup()
        self.server.connections.add(self.connection)  # type: ignore[attr-defined]

    def finish(self) -> None:
        self.server.connections.discard(self.connection)  # type: ignore[attr-defined]
        super().finish()

    def log_request(self, *args: Any) -> None:
        """Keep test output quiet."""


class LoopbackServer:
    """Serve a WSGI app on 127.0.0.1 in a thread; stop it (dropping connections) and start it again."""

    def __init__(self, wsgi: Callable[..., Any]) -> None:
        self.wsgi = wsgi
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """Return the base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """Say whether the server is accepting connections."""
        return self._server is not None

    def start(self) -> None:
        """Listen on the port (the same one every time) and serve in a thread."""
        with self._lock:
            deadline = time.monotonic() + 10
            while True:
                try:
                    server = make_server("127.0.0.1", self.port, self.wsgi, threaded=True, request_handler=_Handler)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            server.connections = set()  # type: ignore[attr-defined]
            self._server = server
            self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop listening and cut every open connection, as a crash or a pulled cable would."""
        with self._lock:
            server, self._server = self._server, None
            if server is None:
                return
            server.shutdown()
            server.server_close()
            for connection in list(server.connections):  # type: ignore[attr-defined]
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            if self._thread is not None:
                self._thread.join(timeout=10)

    def outage(self, seconds: float) -> None:
        """Stop now, start again after `seconds` (in the background)."""
        self.stop()
        threading.Timer(seconds, self.start).start()


class LiveDMZ(LoopbackServer):
    """The real DMZ app on a loopback port, noting every write outcome per DOI as it answers."""

    def __init__(self, app: Any) -> None:
        super().__init__(self._record)
        self.app = app
        self.events: list[tuple[str, str]] = []
        self.writes = 0
        # Called (with the write count) after a write was committed, before its reply leaves.
        self.after_write: Callable[[int], None] | None = None

    def _record(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        response = Response.from_app(self.app, environ, buffered=True)
        if request.method in ("PUT", "POST", "DELETE") and request.path.startswith("/api/v1/published"):
            try:
                body = json.loads(response.get_data())
            except ValueError:
                body = {}
            items = body.get("items", [body]) if isinstance(body, dict) else []
            for item in items:
                if item.get("key") and item.get("status"):
                    self.events.append((item["key"], item["status"]))
            self.writes += 1
            if self.after_write is not None:
                self.after_write(self.writes)
        return response(environ, start_response)

    def effects(self, key: str) -> list[str]:
        """Return what the writes of one DOI did, in order, leaving out replays that changed nothing."""
        return [status for k, status in self.events if k == key and status != "unchanged"]


class SciCatStandIn(LoopbackServer):
    """A SciCat backend's PublishedData routes: v3 and/or v4, skip/limit paging, `where` on doi."""

    def __init__(self, documents: Iterable[dict[str, Any]], versions: tuple[str, ...] = ("v3", "v4"), token: str = ""):
        super().__init__(self._serve)
        self.documents = {d["doi"]: d for d in documents}
        self.versions = versions
        self.token = token
        self.pages: list[tuple[str, int, int]] = []
        # Faults: listing pages from this skip on answer 500; these DOIs are missing from listings.
        self.fail_from_skip: int | None = None
        self.hidden: set[str] = set()

    def _visible(self, request: Request) -> list[dict[str, Any]]:
        # Like SciCat, anonymous readers do not see private records.
        authorised = bool(self.token) and request.headers.get("Authorization") == f"Bearer {self.token}"
        docs = [d for _, d in sorted(self.documents.items())]
        return docs if authorised else [d for d in docs if d.get("status") != "private"]

    def _serve(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        parts = request.path.strip("/").split("/")
        if len(parts) < 3 or parts[0] != "api" or parts[2].lower() != "publisheddata" or parts[1] not in self.versions:
            return Response("Cannot GET " + request.path, 404)(environ, start_response)
        version = parts[1]
        try:
            filter_ = json.loads(request.args.get("filter") or "{}")
            limits = json.loads(request.args.get("limits") or "{}") if version == "v4" else filter_.get("limits", {})
        except ValueError:
            return Response("bad filter", 400)(environ, start_response)
        docs = self._visible(request)
        where = filter_.get("where") or {}
        if "doi" in where:
            docs = [d for d in docs if d["doi"] == where["doi"]]
        else:
            docs = [d for d in docs if d["doi"] not in self.hidden]
        if parts[3:] == ["count"]:
            body: Any = {"count": len(docs)}
        else:
            skip, limit = int(limits.get("skip", 0)), int(limits.get("limit", 1000))
            self.pages.append((version, skip, limit))
            if self.fail_from_skip is not None and skip >= self.fail_from_skip:
                return Response("database down", 500)(environ, start_response)
            body = docs[skip : skip + limit]
        return Response(json.dumps(body), mimetype="application/json")(environ, start_response)
