"""Real HTTP servers for the publisher tests: the DMZ app on a loopback port, and a SciCat stand-in."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import pika
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
        # Called (with the count of writes arrived so far) before a write reaches the app: a slow DMZ.
        self.before_write: Callable[[int], None] | None = None
        self.arrived = 0
        self._arrivals = threading.Lock()

    def _record(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        if self.before_write is not None and request.method in ("PUT", "POST", "DELETE"):
            with self._arrivals:
                self.arrived += 1
                arrived = self.arrived
            self.before_write(arrived)
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


def stamp() -> str:
    """Return now as SciCat writes `updatedAt`: ISO 8601, milliseconds, Z."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _matches(document: dict[str, Any], where: dict[str, Any]) -> bool:
    """Apply the part of MongoDB's query language SciCat's clients send: equality, array membership, $gte/$gt."""
    for field, condition in where.items():
        value = document.get(field)
        if isinstance(condition, dict):
            for op, arg in condition.items():
                if op == "$gte" and not (isinstance(value, str) and value >= arg):
                    return False
                if op == "$gt" and not (isinstance(value, str) and value > arg):
                    return False
                if op == "$in" and value not in arg:
                    return False
        elif isinstance(value, list):
            if condition not in value:
                return False
        elif value != condition:
            return False
    return True


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _error(status: int, message: str) -> Response:
    # NestJS answers errors as {statusCode, message}.
    return _json({"statusCode": status, "message": message}, status)


class SciCatStandIn(LoopbackServer):
    """A SciCat backend shaped like SciCatProject/backend (NestJS, v3 and v4 routes), for the parts dmzpub reads.

    - PublishedData: `GET /api/v3/PublishedData?filter={where, skip, limit, order}` and
      `GET /api/v4/PublishedData?filter={where}&limits={skip, limit, order: "field:asc"}`
      (published-data.v4.controller.ts passes `where` to MongoDB), `/count`; documents carry
      `updatedAt` (the schema has `timestamps: true`); anonymous readers see no private record.
    - `POST /api/v3/auth/login` {username, password} -> {access_token, id, ttl, created, userId, user}
      (auth.controller.ts, dto/returnedLogin.dto.ts).
    - Datasets `GET /api/v4/datasets/<pid>`, `/api/v3/Datasets/<pid>` (`pid`, `sourceFolder`,
      `sourceFolderHost`, `isPublished`), origdatablocks `GET /api/v4/origdatablocks?filter={where:
      {datasetId}}` and `/api/v3/Datasets/<pid>/origdatablocks` ({datasetId, size, chkAlg,
      dataFileList[{path, size, time, chk}]}).
    - Jobs `POST /api/v4/jobs` (type `public`, jobParams.datasetList) which, like SciCat's
      `rabbitmq` job action, publishes the job's JSON persistently to a durable topic exchange
      bound to a durable queue; `GET`/`PATCH /api/v4/jobs/<id>` ({statusCode, statusMessage,
      jobResultObject}); v3 `PATCH /api/v3/Jobs/<id>` ({jobStatusMessage, jobResultObject}).
    """

    def __init__(
        self,
        documents: Iterable[dict[str, Any]],
        versions: tuple[str, ...] = ("v3", "v4"),
        token: str = "",
        users: dict[str, str] | None = None,
    ):
        super().__init__(self._serve)
        self.documents = {d["doi"]: d for d in documents}
        self.versions = versions
        self.token = token
        self.tokens = {token} if token else set()
        self.users = users or {}
        self.pages: list[tuple[str, int, int]] = []
        # How many PublishedData documents listings have returned so far (what an incremental round costs).
        self.served = 0
        self.cpu = 0.0  # CPU seconds spent answering, in the threads that answered
        self.datasets: dict[str, dict[str, Any]] = {}
        self.origdatablocks: list[dict[str, Any]] = []
        self.jobs: dict[str, dict[str, Any]] = {}
        self.job_updates: list[tuple[str, dict[str, Any]]] = []
        # Where POST /api/v4/jobs publishes: {"url", "exchange", "queue", "key"} (SciCat's rabbitmq action).
        self.rabbitmq: dict[str, str] | None = None
        self.lock = threading.Lock()
        # Faults: listing pages from this skip on answer 500; these DOIs are missing from listings.
        self.fail_from_skip: int | None = None
        self.hidden: set[str] = set()
        # Called with the skip of each listing page before it is served: a slow or stalling backend.
        self.before_page: Callable[[int], None] | None = None

    # what a SciCat user does -------------------------------------------------------------------

    def put(self, document: dict[str, Any]) -> dict[str, Any]:
        """Create or edit a PublishedData document as SciCat does: `updatedAt` moves to now."""
        with self.lock:
            stored = {**document, "updatedAt": stamp()}
            stored.setdefault("createdAt", stored["updatedAt"])
            self.documents[document["doi"]] = stored
            return stored

    def add_dataset(self, pid: str, source_folder: str, files: dict[str, bytes], host: str = "", alg: str = "sha256"):
        """Register a published dataset and one origdatablock listing `files` with their checksums."""
        import hashlib

        self.datasets[pid] = {
            "pid": pid,
            "sourceFolder": source_folder.rstrip("/"),
            "sourceFolderHost": host,
            "isPublished": True,
            "ownerGroup": "group1",
            "updatedAt": stamp(),
        }
        listed = [
            {"path": path, "size": len(data), "time": stamp(), "chk": hashlib.new(alg, data).hexdigest()}
            for path, data in files.items()
        ]
        self.origdatablocks.append(
            {
                "_id": str(uuid.uuid4()),
                "datasetId": pid,
                "size": sum(len(d) for d in files.values()),
                "chkAlg": alg,
                "dataFileList": listed,
            }
        )

    def create_job(self, dataset_list: list[dict[str, Any]], job_type: str = "public") -> dict[str, Any]:
        """Create a job as `POST /api/v4/jobs` does and run the `rabbitmq` action when configured."""
        now = stamp()
        job_id = str(uuid.uuid4())
        job = {
            "_id": job_id,
            "id": job_id,
            "ownerUser": "ingestor",
            "ownerGroup": "group1",
            "accessGroups": [],
            "type": job_type,
            "statusCode": "jobSubmitted",
            "statusMessage": "Job submitted.",
            "jobParams": {"datasetList": dataset_list},
            "contactEmail": "",
            "configVersion": "v1.0 dmzpub-tests",
            "jobResultObject": {},
            "createdBy": "ingestor",
            "updatedBy": "ingestor",
            "createdAt": now,
            "updatedAt": now,
        }
        self.jobs[job_id] = job
        if self.rabbitmq:
            self.publish(json.dumps(job).encode())
        return job

    def publish(self, body: bytes) -> None:
        """Publish raw bytes the way SciCat's RabbitMQService.sendMessage does."""
        assert self.rabbitmq is not None
        cfg = self.rabbitmq
        connection = pika.BlockingConnection(pika.URLParameters(cfg["url"]))
        try:
            channel = connection.channel()
            channel.queue_declare(cfg["queue"], durable=True)
            channel.exchange_declare(cfg["exchange"], exchange_type="topic", durable=True)
            channel.queue_bind(cfg["queue"], cfg["exchange"], routing_key=cfg["key"])
            channel.basic_publish(cfg["exchange"], cfg["key"], body, pika.BasicProperties(delivery_mode=2))
        finally:
            connection.close()

    def finished(self, job_id: str) -> list[dict[str, Any]]:
        """Return the PATCHes of a job that ended it (status code finished*)."""
        return [u for j, u in self.job_updates if j == job_id and str(u.get("statusCode", "")).startswith("finished")]

    # HTTP ----------------------------------------------------------------------------------------

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and header[7:] in self.tokens

    def _visible(self, request: Request) -> list[dict[str, Any]]:
        # Like SciCat, anonymous readers do not see private records.
        docs = [d for _, d in sorted(self.documents.items())]
        return docs if self._authorised(request) else [d for d in docs if d.get("status") != "private"]

    def _serve(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.thread_time()  # its own CPU, told apart from its client's in the same process (bench/sync.py)
        try:
            return self._answer(environ, start_response)
        finally:
            spent = time.thread_time() - started
            with self.lock:
                self.cpu += spent

    def _answer(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        # Split the raw path: a dataset PID keeps its encoded slash (20.500.12269%2Fabc) as one segment.
        raw = urlsplit(environ.get("REQUEST_URI") or environ.get("RAW_URI") or request.path).path
        parts = [unquote(p) for p in raw.strip("/").split("/")]
        if len(parts) < 3 or parts[0] != "api" or parts[1] not in self.versions:
            return _error(404, "Cannot GET " + request.path)(environ, start_response)
        version, resource = parts[1], parts[2].lower()
        bearer = request.headers.get("Authorization", "").startswith("Bearer ")
        if bearer and resource != "auth" and not self._authorised(request):
            # SciCat's JWT guard refuses an expired or unknown token outright, even on public routes.
            return _error(401, "Unauthorized")(environ, start_response)
        with self.lock:
            handler = {
                "publisheddata": self._published_data,
                "auth": self._auth,
                "datasets": self._datasets,
                "origdatablocks": self._origdatablocks,
                "jobs": self._jobs,
            }.get(resource)
            response = handler(request, version, parts[3:]) if handler else _error(404, "Cannot GET " + request.path)
        if isinstance(response, tuple):  # a job to publish after the lock is released
            response, job = response
            if self.rabbitmq:
                self.publish(json.dumps(job).encode())
        return response(environ, start_response)

    def _published_data(self, request: Request, version: str, rest: list[str]) -> Response:
        try:
            filter_ = json.loads(request.args.get("filter") or "{}")
            limits = json.loads(request.args.get("limits") or "{}") if version == "v4" else filter_.get("limits", {})
        except ValueError:
            return _error(400, "bad filter")
        docs = self._visible(request)
        where = filter_.get("where") or {}
        if "doi" not in where:
            docs = [d for d in docs if d["doi"] not in self.hidden]
        docs = [d for d in docs if _matches(d, where)]
        if rest == ["count"]:
            return _json({"count": len(docs)})
        order = str(limits.get("order") or "")
        if order.startswith("updatedAt:"):
            docs.sort(key=lambda d: d.get("updatedAt") or "", reverse=order.endswith(":desc"))
        skip, limit = int(limits.get("skip", 0)), int(limits.get("limit", 1000))
        self.pages.append((version, skip, limit))
        if self.before_page is not None:
            self.before_page(skip)
        if self.fail_from_skip is not None and skip >= self.fail_from_skip:
            return Response("database down", 500)
        page = docs[skip : skip + limit]
        self.served += len(page)
        return _json(page)

    def _auth(self, request: Request, version: str, rest: list[str]) -> Response:
        if version != "v3" or rest != ["login"] or request.method != "POST":
            return _error(404, "Cannot " + request.method + " " + request.path)
        body = request.get_json(silent=True) or {}
        username = body.get("username")
        if not username or self.users.get(username) != body.get("password"):
            return _error(401, "Unauthorized")
        token = uuid.uuid4().hex
        self.tokens.add(token)
        user = {"id": "u-" + username, "username": username, "email": f"{username}@example.org"}
        reply = {"access_token": token, "id": token, "expires_in": 3600, "ttl": 3600, "created": stamp()}
        return _json({**reply, "userId": user["id"], "user": user}, 201)

    def _dataset(self, request: Request, pid: str) -> dict[str, Any] | None:
        dataset = self.datasets.get(pid)
        if dataset is None or not (dataset.get("isPublished") or self._authorised(request)):
            return None
        return dataset

    def _blocks(self, pid: str) -> list[dict[str, Any]]:
        return [b for b in self.origdatablocks if b["datasetId"] == pid]

    def _datasets(self, request: Request, version: str, rest: list[str]) -> Response:
        if not rest:
            return _error(404, "not served by the stand-in")
        dataset = self._dataset(request, rest[0])
        if dataset is None:
            return _error(404, f"Dataset {rest[0]} not found")
        if rest[1:] == ["origdatablocks"] and version == "v3":
            return _json(self._blocks(rest[0]))
        return _json(dataset) if len(rest) == 1 else _error(404, "not served by the stand-in")

    def _origdatablocks(self, request: Request, version: str, rest: list[str]) -> Response:
        if version != "v4" or rest:
            return _error(404, "not served by the stand-in")
        try:
            where = json.loads(request.args.get("filter") or "{}").get("where") or {}
        except (ValueError, AttributeError):
            return _error(400, "bad filter")
        blocks = [b for b in self.origdatablocks if _matches(b, where)]
        return _json([b for b in blocks if self._dataset(request, b["datasetId"]) is not None])

    def _jobs(self, request: Request, version: str, rest: list[str]) -> Response | tuple[Response, dict[str, Any]]:
        if request.method == "POST" and not rest and version == "v4":
            body = request.get_json(silent=True) or {}
            datasets = (body.get("jobParams") or {}).get("datasetList")
            if body.get("type") != "public" or not isinstance(datasets, list) or not datasets:
                return _error(400, "jobParams.datasetList is required")
            rabbitmq, self.rabbitmq = self.rabbitmq, None
            try:
                job = self.create_job(datasets)
            finally:
                self.rabbitmq = rabbitmq
            return _json(job, 201), job
        if len(rest) != 1 or rest[0] not in self.jobs:
            return _error(404, "Job not found")
        job = self.jobs[rest[0]]
        if request.method == "GET":
            return _json(job)
        if request.method != "PATCH":
            return _error(404, "Cannot " + request.method)
        if not self._authorised(request):
            return _error(401, "Unauthorized")
        update = request.get_json(silent=True)
        if not isinstance(update, dict):
            return _error(400, "body must be a JSON object")
        if version == "v4" and not (isinstance(update.get("statusCode"), str) and "statusMessage" in update):
            return _error(400, "statusCode and statusMessage must be strings")
        if version == "v3":
            update = {"statusCode": update.get("jobStatusMessage"), **update}
        self.job_updates.append((rest[0], update))
        job.update({k: v for k, v in update.items() if k in ("statusCode", "statusMessage", "jobResultObject")})
        job["updatedAt"] = stamp()
        return _json(job)
