"""A private RabbitMQ node for the tests: Debian's rabbitmq-server on free loopback ports, in a temp dir.

Several copies of the suite run at once on one machine, so nothing is fixed: the node name,
the AMQP port, the Erlang distribution port and the epmd port are all free ones picked here,
and the node's data, logs, config and Erlang cookie ($HOME) live in a private folder.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pika

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
EPMD = shutil.which("epmd") or "/usr/bin/epmd"


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RabbitMQ:
    """One RabbitMQ node; `url(vhost)` gives an AMQP URL, `vhost()` makes a fresh virtual host."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.port, self.dist_port, self.epmd_port = free_port(), free_port(), free_port()
        self.node = f"dmzpub-test-{uuid.uuid4().hex[:12]}@localhost"
        self.process: subprocess.Popen[bytes] | None = None
        home = base / "home"
        for folder in ("home", "mnesia", "log"):
            (base / folder).mkdir(parents=True, exist_ok=True)
        (base / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
            "log.console = false\nlog.file.level = warning\n"
            "disk_free_limit.absolute = 10MB\n",
            encoding="utf-8",
        )
        (base / "enabled_plugins").write_text("[].\n", encoding="utf-8")
        self.env = {
            **os.environ,
            "HOME": str(home),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "ERL_EPMD_PORT": str(self.epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(base / "rabbitmq.pid"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
        }

    def start(self, timeout: float = 120.0) -> None:
        """Start the node and wait until it accepts AMQP connections."""
        if not os.access(SERVER, os.X_OK):
            raise RuntimeError(f"{SERVER} is missing: run `make deps-apt` (installs rabbitmq-server)")
        with open(self.base / "server.out", "wb") as log:
            self.process = subprocess.Popen(
                [SERVER], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        # pika logs every refused connection while the node boots; only the outcome matters here.
        logging.getLogger("pika").setLevel(logging.CRITICAL)
        while True:
            try:
                pika.BlockingConnection(pika.URLParameters(self.url())).close()
                return
            except pika.exceptions.AMQPError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    output = (self.base / "server.out").read_text(errors="replace")[-3000:]
                    self.stop()
                    raise RuntimeError(f"RabbitMQ did not start:\n{output}") from None
                time.sleep(0.3)

    def url(self, vhost: str = "/") -> str:
        """Return the AMQP URL of a virtual host (guest may log in from loopback)."""
        return f"amqp://guest:guest@127.0.0.1:{self.port}/{vhost.replace('/', '%2F')}"

    def ctl(self, *args: str) -> str:
        """Run rabbitmqctl against this node; return its output."""
        done = subprocess.run(
            ["/usr/lib/rabbitmq/bin/rabbitmqctl", "-n", self.node, *args],
            env=self.env,
            capture_output=True,
            timeout=120,
            check=True,
        )
        return done.stdout.decode()

    def vhost(self) -> str:
        """Create a fresh virtual host for one test (its queues are its own) and return its URL."""
        name = f"t-{uuid.uuid4().hex[:10]}"
        self.ctl("add_vhost", name)
        self.ctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        return self.url(name)

    def stop(self) -> None:
        """Stop the node and its private epmd."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        # epmd daemonises itself outside the node's process group; this one is ours (private port).
        subprocess.run(
            [EPMD, "-port", str(self.epmd_port), "-kill"], env=self.env, capture_output=True, timeout=30, check=False
        )
