"""One source of gunicorn defaults: deploy/gunicorn.conf.py gives gunicorn exactly what `dmzpub serve` does."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest
from gunicorn.config import Config

from oai_server import create_app
from oai_server.gunicorn_app import options

CONF = Path(__file__).resolve().parents[1] / "deploy" / "gunicorn.conf.py"
ENV = {"DMZPUB_BIND": "127.0.0.1:9123", "DMZPUB_WORKERS": "3", "DMZPUB_THREADS": "5"}


def as_gunicorn_reads_them(settings: dict[str, Any]) -> dict[str, Any]:
    cfg = Config()
    for name, value in settings.items():
        if name in cfg.settings:
            cfg.set(name, value)
    return {name: setting.get() for name, setting in cfg.settings.items()}


@pytest.mark.parametrize("env", [{}, ENV], ids=["defaults", "set"])
def test_the_production_config_file_equals_dmzpub_serve(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("DMZPUB_BIND", "DMZPUB_WORKERS", "DMZPUB_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {**env, "DMZPUB_DATA_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    from_file = {k: v for k, v in runpy.run_path(str(CONF)).items() if not k.startswith("__")}
    serve = options(create_app().config)
    assert as_gunicorn_reads_them(from_file) == as_gunicorn_reads_them(serve)
    assert (from_file["timeout"], from_file["graceful_timeout"]) == (serve["timeout"], serve["graceful_timeout"])


def test_a_reload_gives_running_downloads_the_graceful_timeout_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DMZPUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DMZPUB_GRACEFUL_TIMEOUT", "300")
    assert options(create_app().config)["graceful_timeout"] == 300


def test_systemd_and_kubernetes_wait_longer_than_gunicorn_lets_requests_finish(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DMZPUB_GRACEFUL_TIMEOUT", raising=False)
    monkeypatch.setenv("DMZPUB_DATA_DIR", str(tmp_path))
    graceful = options(create_app().config)["graceful_timeout"]
    assert graceful > 10  # a stop used to cut downloads after 10 s
    deploy = CONF.parent
    unit = (deploy / "systemd" / "dmzpub.service").read_text()
    stop = int(next(line.split("=")[1] for line in unit.splitlines() if line.startswith("TimeoutStopSec=")))
    manifest = (deploy / "kubernetes" / "deployment.yaml").read_text()
    grace = int(manifest.split("terminationGracePeriodSeconds:")[1].split()[0])
    assert stop > graceful and grace > graceful
