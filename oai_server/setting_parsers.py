"""How a setting's text is read: each parser returns the value or raises ConfigError naming the fix."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .config_error import ConfigError


def text(name: str, value: str) -> str:
    return value.strip()


def url(name: str, value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(name, f"{value!r} is not an http(s) URL", "set it like https://doi.example.org")
    return value.strip().rstrip("/")


def optional_url(name: str, value: str) -> str:
    return url(name, value) if value.strip() else ""


def number(kind: type, what: str, low: float, high: float) -> Callable[[str, str], Any]:
    def parse(name: str, value: str) -> Any:
        try:
            number = kind(value)
        except ValueError:
            raise ConfigError(name, f"{value!r} is not a {what}", f"use {low}..{high}") from None
        if not low <= number <= high:
            raise ConfigError(name, f"{number} is out of range", f"use {low}..{high}")
        return number

    return parse


def seconds(low: float, high: float) -> Callable[[str, str], float]:
    return number(float, "number of seconds", low, high)


def integer(low: int, high: int) -> Callable[[str, str], int]:
    return number(int, "whole number", low, high)


def words(name: str, value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def doi_prefixes(name: str, value: str) -> tuple[str, ...]:
    prefixes = tuple(p.lower() for p in words(name, value))
    bad = [p for p in prefixes if not re.fullmatch(r"10\.\d{4,9}(?:\.\d+)*", p)]
    if bad:
        raise ConfigError(name, f"{', '.join(bad)} is not a DOI prefix", "list prefixes like 10.16907,10.17199")
    return prefixes


def cidrs(name: str, value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return tuple(ipaddress.ip_network(v, strict=False) for v in words(name, value))
    except ValueError as exc:
        raise ConfigError(name, str(exc), "give comma-separated networks like 10.0.0.0/8,::1/128") from None


def basic(name: str, value: str) -> tuple[str, ...]:
    from .scicat_credentials import parse_pairs

    return parse_pairs(name, value)


def _path(name: str, value: str, ok: Callable[[Path], bool], problem: str, fix: str) -> str:
    """Return `value` (empty: unset), or raise ConfigError when `ok` refuses the path it names."""
    if value and not ok(Path(value)):
        raise ConfigError(name, f"{value} {problem}", fix)
    return value


def pairs_file(name: str, value: str) -> Path | None:
    fix = "point it at a file with one user:password a line"
    value = _path(name, value, Path.is_file, "is not a readable file", fix)
    return Path(value) if value else None


def file(name: str, value: str) -> Path | None:
    value = _path(name, value, Path.is_file, "is not a readable file", "point it at a file with one token per line")
    return Path(value) if value else None


def size(name: str, value: str) -> int:
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


def accel(name: str, value: str) -> str:
    value = value.strip().lower()
    if value not in ("", "nginx"):
        raise ConfigError(name, f"{value!r} is not supported", "set it to nginx, or leave it empty")
    return value


def accel_prefix(name: str, value: str) -> str:
    value = value.strip()
    if not value.startswith("/") or not value.endswith("/") or "//" in value:
        raise ConfigError(name, f"{value!r} is not a location path", "set it like /_dmzpub_files/")
    return value


def harvest_statuses(name: str, value: str) -> tuple[str, ...]:
    from catalogue_core.record import PUBLISHED_STATUSES

    statuses = words(name, value)
    unknown = [s for s in statuses if s not in PUBLISHED_STATUSES]
    if unknown or not statuses:
        problem = f"unknown status(es) {', '.join(unknown)}" if unknown else "is empty"
        raise ConfigError(name, problem, f"choose from {', '.join(sorted(PUBLISHED_STATUSES))}")
    return statuses


def oai_identifiers(name: str, value: str) -> str:
    value = value.strip().lower()
    if value not in ("oai", "doi"):
        raise ConfigError(name, f"{value!r} is not oai or doi", "set oai (oai:<id>:<doi>) or doi (bare DOIs)")
    return value


def set_rules(name: str, value: str) -> tuple[str, ...]:
    from catalogue_core.sets import SET_RULES

    rules = words(name, value)
    unknown = [r for r in rules if r not in SET_RULES]
    if unknown:
        raise ConfigError(name, f"unknown rule(s) {', '.join(unknown)}", f"choose from {', '.join(SET_RULES)}")
    return rules


def site_name(name: str, value: str) -> str:
    if not value.strip():
        raise ConfigError(name, "is empty", "set a name like 'ESS data repository', or unset it for the default")
    return value.strip()


REPOSITORY_ID_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+$")


def repository_id(name: str, value: str) -> str:
    value = value.strip()
    if value and not REPOSITORY_ID_RE.match(value):
        raise ConfigError(name, f"{value!r} is not a domain name", "set a domain name you own, like doi.example.org")
    return value


def email(name: str, value: str) -> str:
    value = value.strip()
    if value and not re.match(r"^\S+@(\S+\.)+\S+$", value):
        raise ConfigError(name, f"{value!r} is not an e-mail address", "set it like oai-admin@example.org")
    return value


def secret(name: str, value: str) -> str:
    if value and len(value) < 16:
        raise ConfigError(name, "is shorter than 16 characters", "use a long random string, or unset it")
    return value


def log_format(name: str, value: str) -> str:
    value = value.strip().lower()
    if value not in ("text", "json"):
        raise ConfigError(name, f"{value!r} is not a log format", "set it to text or json")
    return value


def log_level(name: str, value: str) -> str:
    value = value.strip().upper()
    if value not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(name, f"{value!r} is not a log level", "set it to DEBUG, INFO, WARNING or ERROR")
    return value


def pem_file(name: str, value: str) -> str:
    return _path(
        name, value.strip(), Path.is_file, "is not a readable file", "point it at a PEM file of CA certificates"
    )


def logo(name: str, value: str) -> str:
    return _path(name, value.strip(), _is_logo, "is not an .svg or .png file", "point it at the facility's logo file")


def _is_logo(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in (".svg", ".png")


def folder(name: str, value: str) -> str:
    fix = "point it at a folder of template overrides, or unset it"
    return _path(name, value.strip(), Path.is_dir, "is not a folder", fix)


def _luminance(hex_colour: str) -> float:
    """Return the WCAG relative luminance of #rrggbb."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def dark_colour(name: str, value: str) -> str:
    # The pages put white text on it (and it on white): WCAG AA needs a contrast of 4.5.
    value = value.strip().lower()
    if not re.fullmatch(r"#[0-9a-f]{6}", value):
        raise ConfigError(name, f"{value!r} is not a #rrggbb colour", "set it like #0d2c4f")
    contrast = 1.05 / (_luminance(value) + 0.05)
    if contrast < 4.5:
        raise ConfigError(name, f"{value} is too light: contrast with white is {contrast:.1f}", "use a darker colour")
    return value


def source_map(name: str, value: str) -> Any:
    from download_cache.source_map import SourceMap, SourceMapError

    try:
        return SourceMap.parse(value)
    except SourceMapError as exc:
        raise ConfigError(
            name, str(exc), "write rules like /data/beamline=/mnt/beamline;fs1:/gpfs=sftp://u@fs1/gpfs"
        ) from None


def rate(name: str, value: str) -> float | None:
    from download_cache.ratelimit import parse_rate

    try:
        return parse_rate(value) if value.strip() else None
    except ValueError:
        raise ConfigError(name, f"{value!r} is not a rate", "give bytes per second like 500k, 20M or 1G") from None


def amqp_url(name: str, value: str) -> str:
    parts = urlsplit(value.strip())
    if value.strip() and (parts.scheme not in ("amqp", "amqps") or not parts.hostname):
        raise ConfigError(name, f"{value!r} is not an AMQP URL", "set it like amqp://user:password@rabbit:5672/%2F")
    return value.strip()
