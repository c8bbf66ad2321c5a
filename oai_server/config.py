"""Every DMZPUB_* setting in one place, each with a one-line docstring; checked at start."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import setting_parsers as parse
from .config_error import ConfigError as ConfigError  # re-exported: callers read settings and their error here


@dataclass(frozen=True)
class Setting:
    """One environment variable: its default, its parser and what it is for."""

    name: str
    default: str | None
    doc: str
    parse: Callable[[str, str], Any]


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DMZPUB_BASE_URL",
        "http://127.0.0.1:8080",
        "Public base URL of this server, used in links and OAI baseURL.",
        parse.url,
    ),
    Setting(
        "DMZPUB_DATA_DIR",
        "./var",
        "Folder of the embedded SQLite store (and other local state).",
        parse.text,
    ),
    Setting("DMZPUB_DOWNLOAD_DIR", "./var/downloads", "Download area: one folder per staged dataset.", parse.text),
    Setting(
        "DMZPUB_CACHE_MAX_BYTES",
        "0",
        "Download area quota (bytes, or 500G); over it the least recently downloaded unpinned datasets go; 0: none.",
        parse.size,
    ),
    Setting(
        "DMZPUB_DOWNLOAD_ACCEL",
        "",
        "Set to nginx to let nginx send file bytes (X-Accel-Redirect); empty streams them from gunicorn.",
        parse.accel,
    ),
    Setting(
        "DMZPUB_DOWNLOAD_ACCEL_PREFIX",
        "/_dmzpub_files/",
        "Internal nginx location that maps onto DMZPUB_DOWNLOAD_DIR (see deploy/nginx.conf).",
        parse.accel_prefix,
    ),
    Setting("DMZPUB_STAGE_JOBS", "4", "Files `dmzpub stage` copies at once.", parse.integer(1, 64)),
    Setting(
        "DMZPUB_SSH_KNOWN_HOSTS",
        "~/.ssh/known_hosts",
        "known_hosts file an sftp:// cache server's host key must be listed in (never trusted on first use).",
        parse.text,
    ),
    Setting(
        "DMZPUB_MONGO_URI",
        "",
        "MongoDB URI (with database name); when unset the embedded SQLite store is used.",
        parse.text,
    ),
    Setting(
        "DMZPUB_DOI_PREFIXES",
        "",
        "Comma-separated DOI prefixes this repository publishes (e.g. 10.16907); a push of any other is refused.",
        parse.doi_prefixes,
    ),
    Setting(
        "DMZPUB_PUSH_TOKENS",
        "",
        "Comma-separated bearer tokens allowed to push and read the API.",
        parse.words,
    ),
    Setting("DMZPUB_PUSH_TOKENS_FILE", "", "File with one more allowed bearer token per line.", parse.file),
    Setting(
        "DMZPUB_SCICAT_BASIC",
        "",
        "Space-separated user:password pairs SciCat may send as HTTP Basic on the /scicat routes.",
        parse.basic,
    ),
    Setting(
        "DMZPUB_SCICAT_BASIC_FILE", "", "File with more user:password pairs for SciCat, one a line.", parse.pairs_file
    ),
    Setting(
        "DMZPUB_PUSH_ALLOW_CIDRS",
        "",
        "Comma-separated networks allowed to call the push API; empty allows any.",
        parse.cidrs,
    ),
    Setting(
        "DMZPUB_MAX_PUSH_BYTES",
        "52428800",
        "Largest accepted push body in bytes (50 MiB, as SciCat's provider: thumbnails are data URLs up to 16 MB).",
        parse.integer(1024, 1 << 30),
    ),
    Setting(
        "DMZPUB_PROXY_COUNT",
        "0",
        "Number of trusted reverse proxies in front (for client address and scheme).",
        parse.integer(0, 5),
    ),
    Setting(
        "DMZPUB_FORWARDED_ALLOW_IPS",
        "127.0.0.1,::1",
        "Addresses of the reverse proxy: only requests from them may set X-Forwarded-* headers.",
        parse.cidrs,
    ),
    Setting(
        "DMZPUB_CLIENT_TIMEOUT",
        "30",
        "Seconds gunicorn gives a client to send a whole request, and to take each part of a reply.",
        parse.seconds(1, 3600),
    ),
    Setting(
        "DMZPUB_GRACEFUL_TIMEOUT",
        "120",
        "Seconds a stop or reload (SIGTERM, SIGHUP) gives running requests, such as downloads, to finish.",
        parse.seconds(1, 3600),
    ),
    Setting(
        "DMZPUB_SEARCH_BUDGET",
        "2",
        "Seconds a landing-page search may run before the store stops it (answered 503, Retry-After).",
        parse.seconds(0.01, 60),
    ),
    Setting(
        "DMZPUB_ZIP_STREAMS",
        "2",
        "ZIP downloads each gunicorn worker generates at once; more are answered 503 with Retry-After.",
        parse.integer(1, 64),
    ),
    Setting("DMZPUB_BIND", "127.0.0.1:8080", "Address gunicorn listens on for `dmzpub serve`.", parse.text),
    Setting(
        "DMZPUB_WORKERS",
        "2",
        "Number of gunicorn worker processes for `dmzpub serve`.",
        parse.integer(1, 64),
    ),
    Setting("DMZPUB_THREADS", "4", "Threads per gunicorn worker for `dmzpub serve`.", parse.integer(1, 64)),
    Setting(
        "DMZPUB_CONTROL_SOCKET",
        "",
        "Path of gunicorn's control socket (mode 0600) for `gunicornc`; unset: none (gunicorn's default is shared).",
        parse.text,
    ),
    Setting(
        "DMZPUB_DATACENTRE_SYMBOL",
        "",
        "DataCite client symbol put in oai_datacite records; publisher name when unset.",
        parse.text,
    ),
    Setting(
        "DMZPUB_SITE_NAME",
        "Published research data",
        "Name shown in the header and title of the landing pages (e.g. the facility's data repository).",
        parse.site_name,
    ),
    Setting(
        "DMZPUB_SET_RULES",
        "year,type",
        "Rules deriving OAI sets from records (year, type, publisher).",
        parse.set_rules,
    ),
    Setting(
        "DMZPUB_PUSH_URL",
        "",
        "Base URL of the DMZ server the intranet publisher pushes to (the client adds /api/v1/...).",
        parse.optional_url,
    ),
    Setting(
        "DMZPUB_PUSH_TOKEN", "", "Bearer token the intranet publisher sends (one of the DMZ's tokens).", parse.text
    ),
    Setting("DMZPUB_PUSH_TIMEOUT", "30", "Seconds the publisher waits for one DMZ reply.", parse.seconds(1, 3600)),
    Setting(
        "DMZPUB_PUSH_BACKOFF",
        "1",
        "First wait in seconds before the publisher retries the DMZ; waits double up to 64 times it.",
        parse.seconds(0.001, 600),
    ),
    Setting(
        "DMZPUB_PUSH_GIVE_UP",
        "300",
        "Seconds one delivery run keeps retrying an unreachable DMZ before leaving entries queued.",
        parse.seconds(0, 86400),
    ),
    Setting(
        "DMZPUB_SCICAT_URL",
        "",
        "SciCat backend base URL that `dmzpub sync` and `dmzpub reconcile` read from.",
        parse.optional_url,
    ),
    Setting(
        "DMZPUB_SCICAT_TOKEN",
        "",
        "SciCat access token for reading PublishedData (anonymous reads see only public records).",
        parse.text,
    ),
    Setting("DMZPUB_REPOSITORY_NAME", "dmzpub", "Repository name that OAI-PMH Identify gives.", parse.text),
    Setting(
        "DMZPUB_REPOSITORY_ID",
        "",
        "Domain name in OAI item identifiers (oai:<id>:<doi>); the host of DMZPUB_BASE_URL when unset.",
        parse.repository_id,
    ),
    Setting(
        "DMZPUB_ADMIN_EMAIL",
        "",
        "Administrator e-mail that OAI-PMH Identify gives; oai-admin@<repository id> when unset.",
        parse.email,
    ),
    Setting("DMZPUB_OAI_PAGE_SIZE", "100", "Records per OAI-PMH list page (1 to 1000).", parse.integer(1, 1000)),
    Setting(
        "DMZPUB_HARVEST_STATUSES",
        "registered,amended",
        "SciCat statuses whose records OAI-PMH lists (their DOI is registered); others get only a landing page.",
        parse.harvest_statuses,
    ),
    Setting(
        "DMZPUB_OAI_IDENTIFIERS",
        "oai",
        "Identifiers in OAI-PMH headers: oai (oai:<id>:<doi>) or doi (bare DOIs, as SciCat's provider gave).",
        parse.oai_identifiers,
    ),
    Setting(
        "DMZPUB_SECRET_KEY",
        "",
        "Key signing OAI resumption tokens; generated once into DMZPUB_DATA_DIR/secret_key when unset.",
        parse.secret,
    ),
    Setting(
        "DMZPUB_LOG_FORMAT", "text", "Log lines as text (for people) or json (one object per line).", parse.log_format
    ),
    Setting("DMZPUB_LOG_LEVEL", "INFO", "Lowest level logged: DEBUG, INFO, WARNING or ERROR.", parse.log_level),
    Setting(
        "DMZPUB_CA_BUNDLE",
        "",
        "Intranet: PEM file of the CA(s) that signed the DMZ's certificate, when it is not a public one.",
        parse.pem_file,
    ),
    Setting("DMZPUB_BRAND_LOGO", "", "SVG or PNG file shown in the page header instead of dmzpub's icon.", parse.logo),
    Setting(
        "DMZPUB_BRAND_COLOUR",
        "#0d2c4f",
        "Header colour of the pages (#rrggbb; white text on it must stay readable).",
        parse.dark_colour,
    ),
    Setting(
        "DMZPUB_ACCENT_COLOUR",
        "#0a58a8",
        "Link and button colour of the pages (#rrggbb; readable on white).",
        parse.dark_colour,
    ),
    Setting(
        "DMZPUB_CONTACT_EMAIL",
        "",
        "Contact shown in the page footer and for data 'available on request'; DMZPUB_ADMIN_EMAIL when unset.",
        parse.email,
    ),
    Setting(
        "DMZPUB_IMPRINT_URL",
        "",
        "Link to the facility's imprint (legal notice), shown in the footer.",
        parse.optional_url,
    ),
    Setting(
        "DMZPUB_PRIVACY_URL", "", "Link to the facility's privacy policy, shown in the footer.", parse.optional_url
    ),
    Setting(
        "DMZPUB_TEMPLATE_DIR",
        "",
        "Folder of templates that replace the built-in ones of the same name (e.g. landing/base.html).",
        parse.folder,
    ),
    # The publication pipeline (intranet side): `dmzpub sync --watch` and `dmzpub stage-worker`.
    Setting(
        "DMZPUB_SYNC_INTERVAL", "60", "Seconds between two rounds of `dmzpub sync --watch`.", parse.seconds(0.1, 86400)
    ),
    Setting(
        "DMZPUB_SYNC_OVERLAP",
        "60",
        "Seconds before its high-water mark (SciCat's updatedAt) each watch round reads again, for clock skew.",
        parse.seconds(0, 86400),
    ),
    Setting(
        "DMZPUB_RECONCILE_INTERVAL",
        "86400",
        "Seconds between the full comparisons (reconcile) of `dmzpub sync --watch`; one also runs at start.",
        parse.seconds(1, 90 * 86400),
    ),
    Setting("DMZPUB_SCICAT_USER", "", "SciCat account the publisher logs in with (instead of a token).", parse.text),
    Setting("DMZPUB_SCICAT_PASSWORD", "", "Password of DMZPUB_SCICAT_USER.", parse.text),
    Setting(
        "DMZPUB_SOURCE_MAP",
        "",
        "Rules `[HOST:]PREFIX=LOCATION` (`;`-separated, first match wins) mapping SciCat source folders to folders"
        " or sftp:// URLs the publisher reads; unset: files are not staged.",
        parse.source_map,
    ),
    Setting(
        "DMZPUB_STAGE_BWLIMIT", "", "Bandwidth limit of automatic staging (bytes/s, like 50M); unset: none.", parse.rate
    ),
    Setting(
        "DMZPUB_AMQP_URL",
        "",
        "RabbitMQ URL `dmzpub stage-worker` consumes SciCat jobs from (amqp://...).",
        parse.amqp_url,
    ),
    Setting("DMZPUB_STAGE_EXCHANGE", "jobs.write", "Exchange of SciCat's `rabbitmq` job action (topic).", parse.text),
    Setting("DMZPUB_STAGE_QUEUE", "client.jobs.write", "Queue of SciCat's `rabbitmq` job action.", parse.text),
    Setting("DMZPUB_STAGE_ROUTING_KEY", "jobqueue", "Routing key of SciCat's `rabbitmq` job action.", parse.text),
)
BY_NAME = {s.name: s for s in SETTINGS}


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return every setting parsed from the environment, overrides applied; raise ConfigError."""
    environ = os.environ if environ is None else environ
    overrides = overrides or {}
    values = {}
    for setting in SETTINGS:
        if setting.name in overrides:
            value = overrides[setting.name]
            values[setting.name] = setting.parse(setting.name, value) if isinstance(value, str) else value
        else:
            values[setting.name] = setting.parse(setting.name, environ.get(setting.name, setting.default or ""))
    _check_combinations(values)
    return values


# Read outside this table (by the test suite and benchmarks), so check-config must not call them unknown.
OTHER_NAMES = ("DMZPUB_TEST_MONGO_URI", "DMZPUB_SHARED_DIR", "DMZPUB_BENCH_MONGO_URI")


def _check_combinations(values: Mapping[str, Any]) -> None:
    """Raise ConfigError for settings that are fine alone but unsafe together."""
    from .scicat_credentials import check_hardcoded

    check_hardcoded(values)
