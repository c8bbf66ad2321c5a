"""Every DMZPUB_* setting in one place, each with a one-line docstring; checked at start."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .config_error import ConfigError


@dataclass(frozen=True)
class Setting:
    """One environment variable: its default, its parser and what it is for."""

    name: str
    default: str | None
    doc: str
    parse: Callable[[str, str], Any]


def _text(name: str, value: str) -> str:
    return value.strip()


def _url(name: str, value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(name, f"{value!r} is not an http(s) URL", "set it like https://doi.example.org")
    return value.strip().rstrip("/")


def _optional_url(name: str, value: str) -> str:
    return _url(name, value) if value.strip() else ""


def _number(kind: type, what: str, low: float, high: float) -> Callable[[str, str], Any]:
    def parse(name: str, value: str) -> Any:
        try:
            number = kind(value)
        except ValueError:
            raise ConfigError(name, f"{value!r} is not a {what}", f"use {low}..{high}") from None
        if not low <= number <= high:
            raise ConfigError(name, f"{number} is out of range", f"use {low}..{high}")
        return number

    return parse


def _seconds(low: float, high: float) -> Callable[[str, str], float]:
    return _number(float, "number of seconds", low, high)


def _int(low: int, high: int) -> Callable[[str, str], int]:
    return _number(int, "whole number", low, high)


def _list(name: str, value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _doi_prefixes(name: str, value: str) -> tuple[str, ...]:
    prefixes = tuple(p.lower() for p in _list(name, value))
    bad = [p for p in prefixes if not re.fullmatch(r"10\.\d{4,9}(?:\.\d+)*", p)]
    if bad:
        raise ConfigError(name, f"{', '.join(bad)} is not a DOI prefix", "list prefixes like 10.16907,10.17199")
    return prefixes


def _cidrs(name: str, value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return tuple(ipaddress.ip_network(v, strict=False) for v in _list(name, value))
    except ValueError as exc:
        raise ConfigError(name, str(exc), "give comma-separated networks like 10.0.0.0/8,::1/128") from None


def _basic(name: str, value: str) -> tuple[str, ...]:
    from .scicat_credentials import parse_pairs

    return parse_pairs(name, value)


def _pairs_file(name: str, value: str) -> Path | None:
    if value and not Path(value).is_file():
        raise ConfigError(name, f"{value} is not a readable file", "point it at a file with one user:password a line")
    return Path(value) if value else None


def _file(name: str, value: str) -> Path | None:
    if not value:
        return None
    path = Path(value)
    if not path.is_file():
        raise ConfigError(name, f"{value} is not a readable file", "point it at a file with one token per line")
    return path


def _bytes(name: str, value: str) -> int:
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    text = value.strip().upper().removesuffix("B").removesuffix("I")
    unit = text[-1:] if text[-1:] in units and text[-1:] else ""
    try:
        number = float(text[: len(text) - len(unit)] or "x")
    except ValueError:
        raise ConfigError(name, f"{value!r} is not a size", "give bytes or a size like 500G (0: no limit)") from None
    if number < 0:
        raise ConfigError(name, f"{value!r} is negative", "give 0 for no limit, or a positive size")
    return int(number * units[unit])


def _accel(name: str, value: str) -> str:
    value = value.strip().lower()
    if value not in ("", "nginx"):
        raise ConfigError(name, f"{value!r} is not supported", "set it to nginx, or leave it empty")
    return value


def _accel_prefix(name: str, value: str) -> str:
    value = value.strip()
    if not value.startswith("/") or not value.endswith("/") or "//" in value:
        raise ConfigError(name, f"{value!r} is not a location path", "set it like /_dmzpub_files/")
    return value


def _harvest_statuses(name: str, value: str) -> tuple[str, ...]:
    from catalogue_core.record import PUBLISHED_STATUSES

    statuses = _list(name, value)
    unknown = [s for s in statuses if s not in PUBLISHED_STATUSES]
    if unknown or not statuses:
        problem = f"unknown status(es) {', '.join(unknown)}" if unknown else "is empty"
        raise ConfigError(name, problem, f"choose from {', '.join(sorted(PUBLISHED_STATUSES))}")
    return statuses


def _oai_identifiers(name: str, value: str) -> str:
    value = value.strip().lower()
    if value not in ("oai", "doi"):
        raise ConfigError(name, f"{value!r} is not oai or doi", "set oai (oai:<id>:<doi>) or doi (bare DOIs)")
    return value


def _set_rules(name: str, value: str) -> tuple[str, ...]:
    from catalogue_core.sets import SET_RULES

    rules = _list(name, value)
    unknown = [r for r in rules if r not in SET_RULES]
    if unknown:
        raise ConfigError(name, f"unknown rule(s) {', '.join(unknown)}", f"choose from {', '.join(SET_RULES)}")
    return rules


def _site_name(name: str, value: str) -> str:
    if not value.strip():
        raise ConfigError(name, "is empty", "set a name like 'ESS data repository', or unset it for the default")
    return value.strip()


REPOSITORY_ID_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+$")


def _repository_id(name: str, value: str) -> str:
    value = value.strip()
    if value and not REPOSITORY_ID_RE.match(value):
        raise ConfigError(name, f"{value!r} is not a domain name", "set a domain name you own, like doi.example.org")
    return value


def _email(name: str, value: str) -> str:
    value = value.strip()
    if value and not re.match(r"^\S+@(\S+\.)+\S+$", value):
        raise ConfigError(name, f"{value!r} is not an e-mail address", "set it like oai-admin@example.org")
    return value


def _secret(name: str, value: str) -> str:
    if value and len(value) < 16:
        raise ConfigError(name, "is shorter than 16 characters", "use a long random string, or unset it")
    return value


def _log_format(name: str, value: str) -> str:
    value = value.strip().lower()
    if value not in ("text", "json"):
        raise ConfigError(name, f"{value!r} is not a log format", "set it to text or json")
    return value


def _log_level(name: str, value: str) -> str:
    value = value.strip().upper()
    if value not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(name, f"{value!r} is not a log level", "set it to DEBUG, INFO, WARNING or ERROR")
    return value


def _pem_file(name: str, value: str) -> str:
    value = value.strip()
    if value and not Path(value).is_file():
        raise ConfigError(name, f"{value} is not a readable file", "point it at a PEM file of CA certificates")
    return value


def _logo(name: str, value: str) -> str:
    value = value.strip()
    if value and (not Path(value).is_file() or Path(value).suffix.lower() not in (".svg", ".png")):
        raise ConfigError(name, f"{value} is not an .svg or .png file", "point it at the facility's logo file")
    return value


def _folder(name: str, value: str) -> str:
    value = value.strip()
    if value and not Path(value).is_dir():
        raise ConfigError(name, f"{value} is not a folder", "point it at a folder of template overrides, or unset it")
    return value


def _luminance(hex_colour: str) -> float:
    """Return the WCAG relative luminance of #rrggbb."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _dark_colour(name: str, value: str) -> str:
    # The pages put white text on it (and it on white): WCAG AA needs a contrast of 4.5.
    value = value.strip().lower()
    if not re.fullmatch(r"#[0-9a-f]{6}", value):
        raise ConfigError(name, f"{value!r} is not a #rrggbb colour", "set it like #0d2c4f")
    contrast = 1.05 / (_luminance(value) + 0.05)
    if contrast < 4.5:
        raise ConfigError(name, f"{value} is too light: contrast with white is {contrast:.1f}", "use a darker colour")
    return value


def _source_map(name: str, value: str) -> Any:
    from download_cache.source_map import SourceMap, SourceMapError

    try:
        return SourceMap.parse(value)
    except SourceMapError as exc:
        raise ConfigError(
            name, str(exc), "write rules like /data/beamline=/mnt/beamline;fs1:/gpfs=sftp://u@fs1/gpfs"
        ) from None


def _rate(name: str, value: str) -> float | None:
    from download_cache.ratelimit import parse_rate

    try:
        return parse_rate(value) if value.strip() else None
    except ValueError:
        raise ConfigError(name, f"{value!r} is not a rate", "give bytes per second like 500k, 20M or 1G") from None


def _amqp_url(name: str, value: str) -> str:
    parts = urlsplit(value.strip())
    if value.strip() and (parts.scheme not in ("amqp", "amqps") or not parts.hostname):
        raise ConfigError(name, f"{value!r} is not an AMQP URL", "set it like amqp://user:password@rabbit:5672/%2F")
    return value.strip()


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DMZPUB_BASE_URL",
        "http://127.0.0.1:8080",
        "Public base URL of this server, used in links and OAI baseURL.",
        _url,
    ),
    Setting(
        "DMZPUB_DATA_DIR",
        "./var",
        "Folder of the embedded SQLite store (and other local state).",
        _text,
    ),
    Setting("DMZPUB_DOWNLOAD_DIR", "./var/downloads", "Download area: one folder per staged dataset.", _text),
    Setting(
        "DMZPUB_CACHE_MAX_BYTES",
        "0",
        "Download area quota (bytes, or 500G); over it the least recently downloaded unpinned datasets go; 0: none.",
        _bytes,
    ),
    Setting(
        "DMZPUB_DOWNLOAD_ACCEL",
        "",
        "Set to nginx to let nginx send file bytes (X-Accel-Redirect); empty streams them from gunicorn.",
        _accel,
    ),
    Setting(
        "DMZPUB_DOWNLOAD_ACCEL_PREFIX",
        "/_dmzpub_files/",
        "Internal nginx location that maps onto DMZPUB_DOWNLOAD_DIR (see deploy/nginx.conf).",
        _accel_prefix,
    ),
    Setting("DMZPUB_STAGE_JOBS", "4", "Files `dmzpub stage` copies at once.", _int(1, 64)),
    Setting(
        "DMZPUB_SSH_KNOWN_HOSTS",
        "~/.ssh/known_hosts",
        "known_hosts file an sftp:// cache server's host key must be listed in (never trusted on first use).",
        _text,
    ),
    Setting(
        "DMZPUB_MONGO_URI",
        "",
        "MongoDB URI (with database name); when unset the embedded SQLite store is used.",
        _text,
    ),
    Setting(
        "DMZPUB_DOI_PREFIXES",
        "",
        "Comma-separated DOI prefixes this repository publishes (e.g. 10.16907); a push of any other is refused.",
        _doi_prefixes,
    ),
    Setting(
        "DMZPUB_PUSH_TOKENS",
        "",
        "Comma-separated bearer tokens allowed to push and read the API.",
        _list,
    ),
    Setting("DMZPUB_PUSH_TOKENS_FILE", "", "File with one more allowed bearer token per line.", _file),
    Setting(
        "DMZPUB_SCICAT_BASIC",
        "",
        "Space-separated user:password pairs SciCat may send as HTTP Basic on the /scicat routes.",
        _basic,
    ),
    Setting("DMZPUB_SCICAT_BASIC_FILE", "", "File with more user:password pairs for SciCat, one a line.", _pairs_file),
    Setting(
        "DMZPUB_PUSH_ALLOW_CIDRS",
        "",
        "Comma-separated networks allowed to call the push API; empty allows any.",
        _cidrs,
    ),
    Setting(
        "DMZPUB_MAX_PUSH_BYTES",
        "52428800",
        "Largest accepted push body in bytes (50 MiB, as SciCat's provider: thumbnails are data URLs up to 16 MB).",
        _int(1024, 1 << 30),
    ),
    Setting(
        "DMZPUB_PROXY_COUNT",
        "0",
        "Number of trusted reverse proxies in front (for client address and scheme).",
        _int(0, 5),
    ),
    Setting(
        "DMZPUB_FORWARDED_ALLOW_IPS",
        "127.0.0.1,::1",
        "Addresses of the reverse proxy: only requests from them may set X-Forwarded-* headers.",
        _cidrs,
    ),
    Setting(
        "DMZPUB_CLIENT_TIMEOUT",
        "30",
        "Seconds gunicorn gives a client to send a whole request, and to take each part of a reply.",
        _seconds(1, 3600),
    ),
    Setting(
        "DMZPUB_GRACEFUL_TIMEOUT",
        "120",
        "Seconds a stop or reload (SIGTERM, SIGHUP) gives running requests, such as downloads, to finish.",
        _seconds(1, 3600),
    ),
    Setting(
        "DMZPUB_SEARCH_BUDGET",
        "2",
        "Seconds a landing-page search may run before the store stops it (answered 503, Retry-After).",
        _seconds(0.01, 60),
    ),
    Setting(
        "DMZPUB_ZIP_STREAMS",
        "2",
        "ZIP downloads each gunicorn worker generates at once; more are answered 503 with Retry-After.",
        _int(1, 64),
    ),
    Setting("DMZPUB_BIND", "127.0.0.1:8080", "Address gunicorn listens on for `dmzpub serve`.", _text),
    Setting(
        "DMZPUB_WORKERS",
        "2",
        "Number of gunicorn worker processes for `dmzpub serve`.",
        _int(1, 64),
    ),
    Setting("DMZPUB_THREADS", "4", "Threads per gunicorn worker for `dmzpub serve`.", _int(1, 64)),
    Setting(
        "DMZPUB_CONTROL_SOCKET",
        "",
        "Path of gunicorn's control socket (mode 0600) for `gunicornc`; unset: none (gunicorn's default is shared).",
        _text,
    ),
    Setting(
        "DMZPUB_DATACENTRE_SYMBOL",
        "",
        "DataCite client symbol put in oai_datacite records; publisher name when unset.",
        _text,
    ),
    Setting(
        "DMZPUB_SITE_NAME",
        "Published research data",
        "Name shown in the header and title of the landing pages (e.g. the facility's data repository).",
        _site_name,
    ),
    Setting(
        "DMZPUB_SET_RULES",
        "year,type",
        "Rules deriving OAI sets from records (year, type, publisher).",
        _set_rules,
    ),
    Setting(
        "DMZPUB_PUSH_URL",
        "",
        "Base URL of the DMZ server the intranet publisher pushes to (the client adds /api/v1/...).",
        _optional_url,
    ),
    Setting("DMZPUB_PUSH_TOKEN", "", "Bearer token the intranet publisher sends (one of the DMZ's tokens).", _text),
    Setting("DMZPUB_PUSH_TIMEOUT", "30", "Seconds the publisher waits for one DMZ reply.", _seconds(1, 3600)),
    Setting(
        "DMZPUB_PUSH_BACKOFF",
        "1",
        "First wait in seconds before the publisher retries the DMZ; waits double up to 64 times it.",
        _seconds(0.001, 600),
    ),
    Setting(
        "DMZPUB_PUSH_GIVE_UP",
        "300",
        "Seconds one delivery run keeps retrying an unreachable DMZ before leaving entries queued.",
        _seconds(0, 86400),
    ),
    Setting(
        "DMZPUB_SCICAT_URL",
        "",
        "SciCat backend base URL that `dmzpub sync` and `dmzpub reconcile` read from.",
        _optional_url,
    ),
    Setting(
        "DMZPUB_SCICAT_TOKEN",
        "",
        "SciCat access token for reading PublishedData (anonymous reads see only public records).",
        _text,
    ),
    Setting("DMZPUB_REPOSITORY_NAME", "dmzpub", "Repository name that OAI-PMH Identify gives.", _text),
    Setting(
        "DMZPUB_REPOSITORY_ID",
        "",
        "Domain name in OAI item identifiers (oai:<id>:<doi>); the host of DMZPUB_BASE_URL when unset.",
        _repository_id,
    ),
    Setting(
        "DMZPUB_ADMIN_EMAIL",
        "",
        "Administrator e-mail that OAI-PMH Identify gives; oai-admin@<repository id> when unset.",
        _email,
    ),
    Setting("DMZPUB_OAI_PAGE_SIZE", "100", "Records per OAI-PMH list page (1 to 1000).", _int(1, 1000)),
    Setting(
        "DMZPUB_HARVEST_STATUSES",
        "registered,amended",
        "SciCat statuses whose records OAI-PMH lists (their DOI is registered); others get only a landing page.",
        _harvest_statuses,
    ),
    Setting(
        "DMZPUB_OAI_IDENTIFIERS",
        "oai",
        "Identifiers in OAI-PMH headers: oai (oai:<id>:<doi>) or doi (bare DOIs, as SciCat's provider gave).",
        _oai_identifiers,
    ),
    Setting(
        "DMZPUB_SECRET_KEY",
        "",
        "Key signing OAI resumption tokens; generated once into DMZPUB_DATA_DIR/secret_key when unset.",
        _secret,
    ),
    Setting("DMZPUB_LOG_FORMAT", "text", "Log lines as text (for people) or json (one object per line).", _log_format),
    Setting("DMZPUB_LOG_LEVEL", "INFO", "Lowest level logged: DEBUG, INFO, WARNING or ERROR.", _log_level),
    Setting(
        "DMZPUB_CA_BUNDLE",
        "",
        "Intranet: PEM file of the CA(s) that signed the DMZ's certificate, when it is not a public one.",
        _pem_file,
    ),
    Setting("DMZPUB_BRAND_LOGO", "", "SVG or PNG file shown in the page header instead of dmzpub's icon.", _logo),
    Setting(
        "DMZPUB_BRAND_COLOUR",
        "#0d2c4f",
        "Header colour of the pages (#rrggbb; white text on it must stay readable).",
        _dark_colour,
    ),
    Setting(
        "DMZPUB_ACCENT_COLOUR",
        "#0a58a8",
        "Link and button colour of the pages (#rrggbb; readable on white).",
        _dark_colour,
    ),
    Setting(
        "DMZPUB_CONTACT_EMAIL",
        "",
        "Contact shown in the page footer and for data 'available on request'; DMZPUB_ADMIN_EMAIL when unset.",
        _email,
    ),
    Setting(
        "DMZPUB_IMPRINT_URL", "", "Link to the facility's imprint (legal notice), shown in the footer.", _optional_url
    ),
    Setting("DMZPUB_PRIVACY_URL", "", "Link to the facility's privacy policy, shown in the footer.", _optional_url),
    Setting(
        "DMZPUB_TEMPLATE_DIR",
        "",
        "Folder of templates that replace the built-in ones of the same name (e.g. landing/base.html).",
        _folder,
    ),
    # The publication pipeline (intranet side): `dmzpub sync --watch` and `dmzpub stage-worker`.
    Setting("DMZPUB_SYNC_INTERVAL", "60", "Seconds between two rounds of `dmzpub sync --watch`.", _seconds(0.1, 86400)),
    Setting(
        "DMZPUB_SYNC_OVERLAP",
        "60",
        "Seconds before its high-water mark (SciCat's updatedAt) each watch round reads again, for clock skew.",
        _seconds(0, 86400),
    ),
    Setting(
        "DMZPUB_RECONCILE_INTERVAL",
        "86400",
        "Seconds between the full comparisons (reconcile) of `dmzpub sync --watch`; one also runs at start.",
        _seconds(1, 90 * 86400),
    ),
    Setting("DMZPUB_SCICAT_USER", "", "SciCat account the publisher logs in with (instead of a token).", _text),
    Setting("DMZPUB_SCICAT_PASSWORD", "", "Password of DMZPUB_SCICAT_USER.", _text),
    Setting(
        "DMZPUB_SOURCE_MAP",
        "",
        "Rules `[HOST:]PREFIX=LOCATION` (`;`-separated, first match wins) mapping SciCat source folders to folders"
        " or sftp:// URLs the publisher reads; unset: files are not staged.",
        _source_map,
    ),
    Setting(
        "DMZPUB_STAGE_BWLIMIT", "", "Bandwidth limit of automatic staging (bytes/s, like 50M); unset: none.", _rate
    ),
    Setting(
        "DMZPUB_AMQP_URL", "", "RabbitMQ URL `dmzpub stage-worker` consumes SciCat jobs from (amqp://...).", _amqp_url
    ),
    Setting("DMZPUB_STAGE_EXCHANGE", "jobs.write", "Exchange of SciCat's `rabbitmq` job action (topic).", _text),
    Setting("DMZPUB_STAGE_QUEUE", "client.jobs.write", "Queue of SciCat's `rabbitmq` job action.", _text),
    Setting("DMZPUB_STAGE_ROUTING_KEY", "jobqueue", "Routing key of SciCat's `rabbitmq` job action.", _text),
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
