"""The build checks the layers: import-linter's contracts hold, and a deliberately broken import fails them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("catalogue_core", "landing", "download_cache", "oai_server")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

BREAKS = {
    "catalogue_core imports another package": ("catalogue_core/text.py", "import oai_server.config\n"),
    "catalogue_core imports Flask": ("catalogue_core/record.py", "import flask\n"),
    "download_cache imports the DMZ app": ("download_cache/paths.py", "import oai_server\n"),
    "the OAI protocol code imports Flask": ("oai_server/oai/verbs.py", "from flask import request\n"),
    "targets and their backends import each other": ("download_cache/targets.py", "from . import target_local\n"),
    "the command line imports in a circle": ("oai_server/cli/sides.py", "from . import dmz\n"),
}


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports with the project's contracts over the packages in `tree`."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def copy(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_the_project_keeps_every_import_contract(tmp_path: Path) -> None:
    result = lint(copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("what", BREAKS)
def test_a_deliberately_broken_import_fails_the_check(tmp_path: Path, what: str) -> None:
    tree = copy(tmp_path)
    module, line = BREAKS[what]
    path = tree / module
    text = path.read_text(encoding="utf-8")
    head, sep, rest = text.partition("from __future__ import annotations\n")
    path.write_text(head + sep + line + rest, encoding="utf-8")
    result = lint(tree)
    assert result.returncode != 0 and "BROKEN" in result.stdout, result.stdout
