"""What gunicorn, the WSGI stack and dmzpub's app-wide layers cost per request, in server CPU.

Serves one trivial endpoint (a short text body) under gunicorn in several set-ups, one after the
other, drives each with the same keep-alive client and prints the server's CPU microseconds per
request (the gunicorn master and its workers, from /proc): a bare WSGI callable, a hello-world
Flask app, dmzpub's app with each app-wide layer switched off in turn, and the same app under
gunicorn's sync and gthread workers and dmzpub's deadline worker, and the endpoint as a fast route
(oai_server/fast_routes.py; a code without them serves it through Flask). The last rows are whole
routes of dmzpub's app (/healthz, with its store probe) for reference.

    .venv/bin/python bench/stack.py [--requests 4000] [--connections 4] [--rounds 2] [--strace]

--strace also counts the system calls a worker makes per request on the trivial endpoint and on
/healthz (needs strace; it slows the server, so its rows carry no CPU figure).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
from _server import free_port, tree_cpu  # noqa: E402

BODY = "Hello, World!"
# The child process: builds the app a spec names and serves it with dmzpub's gunicorn options.
SERVE = """
import json, sys
spec = json.loads(sys.argv[1])
if spec.get("code"):  # a baseline's exported tree, first on the path (run with -S: no editable-install hook)
    sys.path[:0] = [spec["code"], spec["site"]]
from flask import Flask, Request
from oai_server.gunicorn_app import _Application, options

BODY = "Hello, World!"
config = {"DMZPUB_FORWARDED_ALLOW_IPS": []}
if spec["app"] == "bare":
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(BODY)))])
        return [BODY.encode()]
elif spec["app"] == "sink":  # bench/push.py's floor: reads a request's body, answers as a PUT or a bulk POST would
    def app(environ, start_response):
        environ["wsgi.input"].read()
        status = "201 Created" if environ["REQUEST_METHOD"] == "PUT" else "200 OK"
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", "2")])
        return [b"{}"]
elif spec["app"] == "hello":
    app = Flask("hello")
    app.add_url_rule("/hello", "hello", lambda: BODY)
else:
    from oai_server import create_app
    app = create_app()
    app.add_url_rule("/hello", "hello", lambda: BODY)
    config = app.config
    off = set(spec["off"])
    # Each layer as a Flask hook (older code) or a WSGI middleware around the Flask app.
    layers = {
        "request ids + access line": ("_assign", "_echo", "RequestLog"),
        "redirect rewrite": ("rewrite", "AbsoluteFromBase"),
        "security headers": ("_security_headers", "SecurityHeaders"),
    }
    names = {name for layer, found in layers.items() if layer in off or "all" in off for name in found}
    for table in (app.before_request_funcs, app.after_request_funcs):
        for funcs in table.values():
            funcs[:] = [f for f in funcs if f.__name__ not in names]
    chain, kept = app.wsgi_app, []
    while hasattr(chain, "app") and not isinstance(chain, Flask):
        if type(chain).__name__ not in names:
            kept.append(chain)
        chain = chain.app
    for middleware in reversed(kept):
        middleware.app, chain = chain, middleware
    app.wsgi_app = chain
    if "lenient request" in off or "all" in off:
        app.request_class = Request
    if spec.get("fast"):
        try:  # code older than fast routes serves the Flask route
            from oai_server.fast_routes import routes_of, status
            body = BODY.encode()
            headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
            routes_of(app).add({"/hello": lambda environ: (status(200), list(headers), body)})
        except ImportError:
            pass
workers, threads = spec["workers"], spec["threads"]
opts = options(config, spec["bind"], workers, threads)
opts["worker_class"] = spec["worker"]
if spec["worker"] == "sync":
    opts["threads"] = 1  # gunicorn turns a threaded sync worker into gthread
_Application(app, opts).run()
"""

WORKERS = {"sync": "sync", "gthread": "gthread", "dmzpub": "oai_server.gunicorn_worker.DeadlineThreadWorker"}
LAYERS = ("request ids + access line", "redirect rewrite", "security headers", "lenient request")


class Served:
    """One gunicorn server in a child process, serving the app of `spec`."""

    def __init__(self, spec: dict[str, object], env: dict[str, str], code: Path | None = None) -> None:
        self.port = free_port()
        spec = {**spec, "bind": f"127.0.0.1:{self.port}", "worker": WORKERS[str(spec["worker"])]}
        flags = []
        if code:
            spec.update(code=str(code), site=next(p for p in sys.path if p.endswith("site-packages")))
            flags = ["-S"]
        self.process = subprocess.Popen(
            [sys.executable, *flags, "-c", SERVE, json.dumps(spec)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def __enter__(self) -> Served:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/hello")
                if conn.getresponse().status == 200:
                    return self
            except OSError:
                time.sleep(0.1)
        raise SystemExit(f"server on port {self.port} did not answer")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    def workers(self) -> list[int]:
        return [int(p) for p in Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()]


def drive(port: int, path: str, requests: int, connections: int) -> None:
    """Send `requests` GETs of `path` over `connections` keep-alive connections; each must answer 200."""
    share = [requests // connections] * connections

    def client(count: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _ in range(count):
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{path} answered {response.status}")
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in share]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def cost(served: Served, path: str, args: argparse.Namespace) -> float:
    """Return the server's CPU microseconds per request of `path` (after a warm-up of every thread)."""
    drive(served.port, path, 200, args.connections)
    before = tree_cpu(served.process.pid)
    drive(served.port, path, args.requests, args.connections)
    return (tree_cpu(served.process.pid) - before) / args.requests * 1e6


def syscalls(served: Served, path: str, args: argparse.Namespace) -> dict[str, float]:
    """Return the system calls per request the workers make for `path`, by name (strace -c)."""
    drive(served.port, path, 200, args.connections)
    with tempfile.NamedTemporaryFile("r", suffix=".strace") as out:
        pids = [a for pid in served.workers() for a in ("-p", str(pid))]
        tracer = subprocess.Popen(["strace", "-f", "-c", "-o", out.name, *pids], stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # let strace attach to every thread
        count = 500
        drive(served.port, path, count, args.connections)
        tracer.terminate()
        tracer.wait(timeout=30)
        calls = {}
        for line in out.read().splitlines():
            fields = line.split()
            if len(fields) >= 5 and fields[3].isdigit():
                calls[fields[-1]] = int(fields[3]) / count
    calls.pop("total", None)
    return calls


Row = tuple[str, dict[str, object], str]


def rows() -> list[Row]:
    """Return the set-ups measured: (label, spec, path)."""
    base = {"workers": 2, "threads": 4, "worker": "dmzpub", "off": []}
    table = [
        ("bare WSGI, dmzpub worker", {**base, "app": "bare"}, "/hello"),
        ("hello Flask, dmzpub worker", {**base, "app": "hello"}, "/hello"),
        ("hello Flask, gthread worker", {**base, "app": "hello", "worker": "gthread"}, "/hello"),
        ("hello Flask, sync worker", {**base, "app": "hello", "worker": "sync"}, "/hello"),
        ("dmzpub app, all layers", {**base, "app": "dmzpub"}, "/hello"),
        ("dmzpub app, all layers, as a fast route", {**base, "app": "dmzpub", "fast": True}, "/hello"),
    ]
    table += [(f"dmzpub app, without {layer}", {**base, "app": "dmzpub", "off": [layer]}, "/hello") for layer in LAYERS]
    table += [
        ("dmzpub app, without all four", {**base, "app": "dmzpub", "off": ["all"]}, "/hello"),
        ("dmzpub app, gthread worker", {**base, "app": "dmzpub", "worker": "gthread"}, "/hello"),
        ("dmzpub app GET /healthz", {**base, "app": "dmzpub"}, "/healthz"),
    ]
    return table


def measure(
    table: list[Row], envs: dict[str, dict[str, str]], codes: dict[str, Path | None], args: argparse.Namespace
) -> dict[str, dict[str, float]]:
    """Return the best server CPU microseconds per request of each set-up under each code.

    The codes take turns set-up by set-up, round after round: the shared machine's load swings
    within a minute, and the best of several turns is the figure least inflated by it.
    """
    best: dict[str, dict[str, float]] = {name: {} for name in codes}
    for _ in range(args.rounds):
        for label, spec, path in table:
            for name, code in codes.items():
                with Served(spec, envs[name], code) as served:
                    figure = cost(served, path, args)
                best[name][label] = min(best[name].get(label, float("inf")), figure)
    return best


INPROC = """
import io, json, sys, time
spec = json.loads(sys.argv[1])
if spec.get("code"):
    sys.path[:0] = [spec["code"], spec["site"]]
import logging, os
from flask import Flask
from oai_server import create_app, logs
logs.setup("text", "INFO", stream=open(os.devnull, "w"))
hello = Flask("hello")
hello.add_url_rule("/hello", "hello", lambda: "Hello, World!")
app = create_app()
app.add_url_rule("/hello", "hello", lambda: "Hello, World!")

def environ():
    return {"REQUEST_METHOD": "GET", "PATH_INFO": "/hello", "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr, "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1:8080",
            "HTTP_USER_AGENT": "bench", "HTTP_ACCEPT": "*/*", "wsgi.multithread": True, "wsgi.multiprocess": True,
            "wsgi.run_once": False, "wsgi.version": (1, 0)}

def per_call(wsgi, n):
    started = time.process_time()
    for _ in range(n):
        body = wsgi(environ(), lambda status, headers, exc_info=None: None)
        b"".join(body)
        body.close()
    return (time.process_time() - started) / n * 1e6

best = {"hello": float("inf"), "dmzpub": float("inf")}
for _ in range(spec["rounds"]):
    for name, wsgi in (("hello", hello), ("dmzpub", app)):
        best[name] = min(best[name], per_call(wsgi, spec["requests"]))
print(json.dumps(best))
"""


def in_process(code: Path | None, env: dict[str, str], args: argparse.Namespace) -> dict[str, float]:
    """Return the CPU microseconds per request of hello Flask and dmzpub's app called as WSGI, no server."""
    spec: dict[str, object] = {"rounds": 5, "requests": args.requests}
    flags = []
    if code:
        spec.update(code=str(code), site=next(p for p in sys.path if p.endswith("site-packages")))
        flags = ["-S"]
    out = subprocess.run(
        [sys.executable, *flags, "-c", INPROC, json.dumps(spec)], env=env, cwd=ROOT, capture_output=True, check=True
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def export(ref: str, folder: Path) -> Path:
    """Export the code of git ref `ref` into `folder`; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2, help="each set-up is measured this often; best kept")
    parser.add_argument("--baseline", metavar="REF", help="also measure every set-up under the code of this git ref")
    parser.add_argument("--strace", action="store_true", help="also count system calls per request")
    parser.add_argument("--only", default="", help="measure only the set-ups whose label contains this text")
    args = parser.parse_args()
    table = [row for row in rows() if args.only in row[0]]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DMZPUB_DATA_DIR": f"{tmp}/var", "DMZPUB_MONGO_URI": "", "DMZPUB_LOG_LEVEL": "INFO"}
        codes: dict[str, Path | None] = {"this code": None}
        envs = {"this code": env}
        if args.baseline:
            codes = {args.baseline: export(args.baseline, Path(tmp, "baseline-code")), **codes}
            envs[args.baseline] = {**env, "DMZPUB_DATA_DIR": f"{tmp}/baseline-var"}
        best = measure(table, envs, codes, args)
        inproc = {name: in_process(code, envs[name], args) for name, code in codes.items()}
        print(
            f"stack bench: server CPU per request (gunicorn master + {table[0][1]['workers']} workers x "
            f"{table[0][1]['threads']} threads, {args.connections} keep-alive connections, {args.requests} requests,"
            f" best of {args.rounds}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f})"
        )
        print(f"  {'set-up':<50} {'path':<9} " + " ".join(f"{name:>10}" for name in codes))
        for label, _, path in table:
            figures = " ".join(f"{best[name][label]:7.0f} us" for name in codes)
            print(f"  {label:<50} {path:<9} {figures}")
        for kind in ("hello", "dmzpub"):
            figures = " ".join(f"{inproc[name][kind]:7.1f} us" for name in codes)
            print(f"  {'in-process WSGI call, ' + kind + ' app':<50} {'/hello':<9} {figures}")
        for name in codes:
            extra = inproc[name]["dmzpub"] - inproc[name]["hello"]
            print(f"  in-process, dmzpub's app over hello Flask ({name}): {extra:.1f} us per request")
        if args.strace and shutil.which("strace"):
            for label, spec, path in table:
                if label in ("dmzpub app, all layers", "dmzpub app GET /healthz", "hello Flask, gthread worker"):
                    with Served(spec, env) as served:
                        calls = syscalls(served, path, args)
                    top = sorted(calls.items(), key=lambda kv: -kv[1])[:8]
                    listed = ", ".join(f"{name} {n:.1f}" for name, n in top)
                    print(f"  syscalls per request, {label} {path}: {sum(calls.values()):.1f} ({listed})")


if __name__ == "__main__":
    main()
