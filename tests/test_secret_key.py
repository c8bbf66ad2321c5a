"""The signing key: configured, or generated once (0600) and shared by every worker and restart."""

from __future__ import annotations

import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from oai_server.config import ConfigError
from oai_server.secret_key import KEY_FILE, load_or_create, secret_key


def _config(data_dir: Path, key: str = "") -> dict[str, Any]:
    return {"DMZPUB_SECRET_KEY": key, "DMZPUB_DATA_DIR": str(data_dir)}


def test_generated_once_private_and_reused(tmp_path: Path) -> None:
    first = secret_key(_config(tmp_path / "var"))
    path = tmp_path / "var" / KEY_FILE
    assert len(first) >= 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key(_config(tmp_path / "var")) == first
    assert secret_key(_config(tmp_path / "other")) != first


def test_configured_key_wins_and_writes_nothing(tmp_path: Path) -> None:
    assert secret_key(_config(tmp_path, "configured-key-0123456789")) == "configured-key-0123456789"
    assert not (tmp_path / KEY_FILE).exists()


def test_racing_workers_all_get_the_same_key(tmp_path: Path) -> None:
    path = tmp_path / "race" / KEY_FILE
    barrier = threading.Barrier(16)
    keys: list[str] = []

    def worker() -> None:
        barrier.wait()
        keys.append(load_or_create(path))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 16 and len(set(keys)) == 1
    assert [p.name for p in path.parent.iterdir()] == [KEY_FILE]


@pytest.mark.parametrize("problem", ["not-a-folder", "empty-file"])
def test_unusable_key_file_is_a_config_error(tmp_path: Path, problem: str) -> None:
    if problem == "not-a-folder":
        (tmp_path / "file").write_text("x")
        data_dir = tmp_path / "file" / "var"
    else:
        data_dir = tmp_path
        (tmp_path / KEY_FILE).write_text("")
    with pytest.raises(ConfigError, match="DMZPUB_SECRET_KEY"):
        secret_key(_config(data_dir))
