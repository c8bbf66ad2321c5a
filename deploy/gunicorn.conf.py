"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py 'oai_server:create_app()'`.

`dmzpub serve` applies the same defaults without this file; use this one when gunicorn is
started by systemd or a container entry point.
"""

import os

from oai_server.gunicorn_app import control_socket

bind = os.environ.get("DMZPUB_BIND", "127.0.0.1:8080")
workers = int(os.environ.get("DMZPUB_WORKERS", "2"))
threads = int(os.environ.get("DMZPUB_THREADS", "4"))
# gthread whose sockets drop a client that trickles its request or stops reading for
# DMZPUB_CLIENT_TIMEOUT seconds (slowloris); nginx in front buffers the slow ones anyway.
worker_class = "oai_server.gunicorn_worker.DeadlineThreadWorker"
timeout = 120
graceful_timeout = 30
keepalive = 5
# The store is opened lazily in each worker, after the fork: no shared connections.
preload_app = False
# No control socket unless DMZPUB_CONTROL_SOCKET names one (the same rule as `dmzpub serve`).
globals().update(control_socket(os.environ.get("DMZPUB_CONTROL_SOCKET", "")))
accesslog = "-"
errorlog = "-"
# dmzpub's one log format (DMZPUB_LOG_FORMAT); the app writes access lines with request ids.
logger_class = "oai_server.gunicorn_logging.Logger"
# nginx in front sets X-Forwarded-*; set DMZPUB_PROXY_COUNT=1 so the app trusts exactly one hop.
forwarded_allow_ips = os.environ.get("DMZPUB_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
