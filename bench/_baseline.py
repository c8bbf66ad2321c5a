"""Run a bench module's measure() on the code of an older git commit, in a child process."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def measured_at(ref: str, module: str, call: str) -> Any:
    """Return the JSON `module.call` prints, evaluated with git ref `ref`'s code (exported) first on the path."""
    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        site = next(p for p in sys.path if p.endswith("site-packages"))
        # -S: the editable install's import hook stays off, so the exported tree is imported instead.
        code = (
            f"import sys, json; sys.path[:0] = [{folder!r}, {site!r}, {str(ROOT / 'bench')!r}]; import {module}; "
            f"print(json.dumps({module}.{call}))"
        )
        out = subprocess.run([sys.executable, "-S", "-c", code], check=True, capture_output=True, text=True).stdout
        return json.loads(out.splitlines()[-1])


def best_in_turns(
    rounds: int, here: Callable[[], dict[str, float]], there: Callable[[], dict[str, float]] | None
) -> tuple[dict[str, float], dict[str, float]]:
    """Return the lowest of each figure over `rounds` runs of this code's and (if given) the baseline's measure."""
    best: dict[str, float] = {}
    old: dict[str, float] = {}
    # This code and the baseline's take turns, so a burst of load on the shared machine hits both.
    for _ in range(rounds):
        _lower(best, here())
        if there is not None:
            _lower(old, there())
    return best, old


def _lower(best: dict[str, float], figures: dict[str, float]) -> None:
    for name, value in figures.items():
        best[name] = min(best.get(name, float("inf")), value)
