"""check-config catches the mistakes an operator makes: typos, no token, loopback links, folders, nginx."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from oai_server.cli import main

TOKEN = "operator-token-0123456789"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Set a correct production-like configuration; tests break one thing each."""
    (tmp_path / "var" / "downloads").mkdir(parents=True)
    good = {
        "DMZPUB_BASE_URL": "https://doi.example.org",
        "DMZPUB_DATA_DIR": str(tmp_path / "var"),
        "DMZPUB_DOWNLOAD_DIR": str(tmp_path / "var" / "downloads"),
        "DMZPUB_PUSH_TOKENS": TOKEN,
        "DMZPUB_SECRET_KEY": "k" * 32,
    }
    for name, value in good.items():
        monkeypatch.setenv(name, value)
    return good


def check(*args: str) -> Result:
    return CliRunner().invoke(main, ["check-config", *args])


def test_a_correct_configuration_passes(env: dict[str, str]) -> None:
    result = check()
    assert result.exit_code == 0, result.output
    assert "configuration ok" in result.output


def test_a_misspelt_variable_is_named_with_the_nearest_setting(env: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DMZPUB_BASEURL", "https://doi.example.org")
    result = check()
    assert result.exit_code == 78
    assert "DMZPUB_BASEURL is not a dmzpub setting" in result.output
    assert "did you mean DMZPUB_BASE_URL?" in result.output


def test_no_push_token_is_a_mistake(env: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DMZPUB_PUSH_TOKENS")
    result = check()
    assert result.exit_code == 78 and "no push token is configured" in result.output
    assert "DMZPUB_PUSH_TOKENS_FILE" in result.output


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]/", "http://0.0.0.0"])
def test_a_loopback_base_url_fails_outside_demo(env: dict, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("DMZPUB_BASE_URL", url)
    result = check()
    assert result.exit_code == 78 and "a loopback address" in result.output and "public https://" in result.output
    assert check("--demo").exit_code == 0


def test_the_default_base_url_passes_with_demo_as_make_serve_uses_it(
    env: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DMZPUB_BASE_URL")
    assert check().exit_code == 78
    assert check("--demo").exit_code == 0


def test_a_missing_download_folder_is_named(env: dict, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DMZPUB_DOWNLOAD_DIR", str(tmp_path / "nowhere"))
    result = check()
    assert result.exit_code == 78
    assert (
        f"DMZPUB_DOWNLOAD_DIR: {tmp_path / 'nowhere'} is not a folder" in result.output and "mkdir -p" in result.output
    )


def test_an_unwritable_folder_is_named(env: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    # /proc/sys is a folder nobody, root included, may create files in.
    monkeypatch.setenv("DMZPUB_DOWNLOAD_DIR", "/proc/sys")
    result = check()
    assert result.exit_code == 78 and "DMZPUB_DOWNLOAD_DIR: /proc/sys is not writable by this user" in result.output


def test_nginx_acceleration_without_nginx_in_front_is_a_mistake(env: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DMZPUB_DOWNLOAD_ACCEL", "nginx")
    result = check()
    assert result.exit_code == 78 and "DMZPUB_PROXY_COUNT is 0" in result.output
    monkeypatch.setenv("DMZPUB_PROXY_COUNT", "1")
    monkeypatch.setenv("DMZPUB_BIND", "0.0.0.0:8080")
    result = check()
    assert result.exit_code == 78 and "DMZPUB_BIND is 0.0.0.0:8080" in result.output
    monkeypatch.setenv("DMZPUB_BIND", "127.0.0.1:8080")
    assert check().exit_code == 0


def test_the_example_environment_file_names_only_real_settings() -> None:
    from oai_server.config import BY_NAME

    example = Path(__file__).resolve().parents[1] / "deploy" / "dmzpub.env.example"
    names = {
        line.lstrip("#").split("=", 1)[0].strip()
        for line in example.read_text(encoding="utf-8").splitlines()
        if line.lstrip("#").startswith("DMZPUB_")
    }
    assert names <= set(BY_NAME)
    assert {"DMZPUB_DOWNLOAD_ACCEL", "DMZPUB_SITE_NAME", "DMZPUB_REPOSITORY_NAME", "DMZPUB_ADMIN_EMAIL"} <= names
    assert "DMZPUB_DATACENTRE_SYMBOL" in names
