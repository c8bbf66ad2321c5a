"""The HTTP Basic pairs SciCat v3 sends, and the rule that guards the pair it hard-codes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .config_error import ConfigError

# SciCat v3 sends `removed:removed` on every resync, and on register when doiconfig.local.json
# is absent (backend-v3 common/models/published-data.js, lines 204-209 and 345-348): anyone can
# read it there, so it only ever authenticates a caller from an allow-listed network.
HARDCODED_PAIRS = frozenset({"removed:removed"})


def parse_pairs(name: str, value: str) -> tuple[str, ...]:
    """Return the `user:password` pairs of a space- or line-separated list; raise ConfigError."""
    pairs = tuple(value.split())
    # An empty half would let `Authorization: Basic Og==` (just ":") publish.
    bad = [p for p in pairs if not all(p.partition(":")[::2]) or ":" not in p]
    if bad:
        raise ConfigError(name, "has an empty user or password", "give user:password pairs, space-separated")
    return pairs


def read_pairs_file(name: str, path: Path | None) -> tuple[str, ...]:
    """Return the pairs of a file, one a line (blank lines and # comments skipped)."""
    if path is None:
        return ()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(name, f"cannot read {path}: {exc}", "point it at a readable file, one pair a line") from None
    kept = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return parse_pairs(name, "\n".join(kept))


def basic_pairs(config: Mapping[str, Any]) -> tuple[str, ...]:
    """Return every configured pair: DMZPUB_SCICAT_BASIC, then DMZPUB_SCICAT_BASIC_FILE."""
    own = tuple(config.get("DMZPUB_SCICAT_BASIC") or ())
    return own + read_pairs_file("DMZPUB_SCICAT_BASIC_FILE", config.get("DMZPUB_SCICAT_BASIC_FILE"))


def check_hardcoded(config: Mapping[str, Any]) -> None:
    """Refuse a pair SciCat hard-codes unless DMZPUB_PUSH_ALLOW_CIDRS restricts the callers."""
    public = sorted(HARDCODED_PAIRS.intersection(basic_pairs(config)))
    if public and not config.get("DMZPUB_PUSH_ALLOW_CIDRS"):
        raise ConfigError(
            "DMZPUB_SCICAT_BASIC",
            f"{', '.join(public)} is hard-coded in SciCat (public knowledge) and DMZPUB_PUSH_ALLOW_CIDRS is empty",
            "set DMZPUB_PUSH_ALLOW_CIDRS to SciCat's networks, or drop that pair from DMZPUB_SCICAT_BASIC(_FILE)",
        )
