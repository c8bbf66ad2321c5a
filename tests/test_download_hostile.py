"""Only what was staged is served: no links out of SHA256SUMS or manifests, no special files, re-staging is atomic."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import Pusher
from download_helpers import random_bytes
from flask import Flask
from flask.testing import FlaskClient
from test_download_routes import DOI, FILES, KEY, BufferedClient, publish_and_stage

from download_cache.area import CHECKSUMS, MANIFEST, dataset_dirname, file_url, zip_url
from download_cache.sources import Source
from download_cache.stage import Stager
from download_cache.targets import Target


@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    return {**app_config, "DMZPUB_DOWNLOAD_DIR": str(tmp_path / "area")}


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = BufferedClient
    return app.test_client()


@pytest.fixture
def staged(pusher: Pusher, tmp_path: Path) -> Path:
    publish_and_stage(pusher, tmp_path / "area", tmp_path / "src", DOI, FILES)
    return tmp_path / "area"


def _secret(tmp_path: Path) -> Path:
    secret = tmp_path / "var" / "secret_key"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text("TOP-SECRET-SIGNING-KEY\n")
    return secret


def test_a_sha256sums_link_to_a_secret_is_never_served(client: FlaskClient, staged: Path, tmp_path: Path) -> None:
    # Whoever can write the area (the staging account) could read anything the server can.
    checksums = staged / dataset_dirname(KEY) / CHECKSUMS
    checksums.unlink()
    checksums.symlink_to(_secret(tmp_path))
    response = client.get(f"/download/{DOI}/{CHECKSUMS}")
    assert b"TOP-SECRET" not in response.data
    if response.status_code == 200:  # rebuilt from the manifest: only what was staged
        assert all(f" *{path}\n".encode() in response.data for path in FILES)
    archive = client.get(zip_url(KEY))
    assert b"TOP-SECRET" not in archive.data


def test_a_manifest_that_is_a_link_hides_the_dataset(client: FlaskClient, staged: Path, tmp_path: Path) -> None:
    folder = staged / dataset_dirname(KEY)
    real = tmp_path / "elsewhere.json"
    real.write_bytes((folder / MANIFEST).read_bytes())
    (folder / MANIFEST).unlink()
    (folder / MANIFEST).symlink_to(real)
    assert client.get(file_url(KEY, "readme.txt")).status_code == 404
    assert client.get(zip_url(KEY)).status_code == 404


def test_a_special_file_in_a_dataset_is_never_opened(client: FlaskClient, staged: Path) -> None:
    # A FIFO would hang the worker that opens it, a device would stream for ever.
    target = staged / dataset_dirname(KEY) / "readme.txt"
    target.unlink()
    os.mkfifo(target)
    response = client.get(file_url(KEY, "readme.txt"))
    assert response.status_code in (404, 503)
    assert client.get(zip_url(KEY)).status_code in (404, 503)


def _restage(staged: Path, tmp_path: Path, files: dict[str, bytes]) -> None:
    src = tmp_path / "src2"
    for rel, data in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    Stager(Target.open(str(staged))).stage(KEY, Source(str(src)))


def test_a_zip_started_before_a_restage_never_comes_back_whole_with_other_bytes(
    app: Any, staged: Path, tmp_path: Path
) -> None:
    client = app.test_client()
    response = client.get(zip_url(KEY), buffered=False)
    assert response.status_code == 200
    chunks = response.iter_encoded()
    first = next(chunks)
    # Same size, other bytes: the ZIP's announced length still holds, only its content would be wrong.
    changed = {**FILES, "data/blob.bin": random_bytes(len(FILES["data/blob.bin"]), 8)}
    _restage(staged, tmp_path, changed)
    body = first
    try:
        for chunk in chunks:
            body += chunk
    except Exception:
        return
    finally:
        response.close()
    if len(body) != int(response.headers["Content-Length"]):
        return  # truncated: the client sees it failed
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.testzip() is None
        blob = archive.read(f"{KEY.replace('/', '_')}/data/blob.bin")
    assert blob == FILES["data/blob.bin"]


def test_a_file_request_racing_a_restage_gets_old_or_new_bytes_whole(
    app: Any, pusher: Pusher, staged: Path, tmp_path: Path
) -> None:
    # The index (manifest) was read before the file was replaced: its size and ETag no longer hold.
    client = app.test_client()
    client.get(file_url(KEY, "data/blob.bin"), buffered=True)  # caches the old manifest's index
    folder = staged / dataset_dirname(KEY)
    new = b"other bytes, other length"
    (folder / "data" / ".dmzpub-swap").write_bytes(new)
    os.replace(folder / "data" / ".dmzpub-swap", folder / "data" / "blob.bin")
    response = client.get(file_url(KEY, "data/blob.bin"))
    assert response.status_code == 503 and response.headers["Retry-After"], response.status_code
