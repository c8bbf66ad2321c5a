"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py 'oai_server:create_app()'`.

Use this one when gunicorn is started by systemd or a container entry point. It holds no value
of its own: every setting comes from oai_server.gunicorn_app.options(), the very function
`dmzpub serve` runs with, fed by the same DMZPUB_* variables (DMZPUB_BIND, DMZPUB_WORKERS,
DMZPUB_THREADS, DMZPUB_FORWARDED_ALLOW_IPS, DMZPUB_CONTROL_SOCKET, ...).
"""

from oai_server.gunicorn_app import options_from_environment

globals().update(options_from_environment())
