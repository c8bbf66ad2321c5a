"""Production path: real nginx (deploy/nginx.conf) terminating HTTPS in front of gunicorn, X-Accel-Redirect."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import v4_document
from download_helpers import gunicorn, make_dataset, nginx, random_bytes, sha256

from catalogue_core.urls import file_path, listing_path, zip_path
from download_cache.open_target import open_target
from download_cache.sources import Source
from download_cache.stage import Stager

TOKEN = "nginx-test-token"
DOI = "10.5555/NGINX/Set"
KEY = DOI.lower()
ODD = "10.5555/odd#key%20x"
FILES = {"big.bin": random_bytes(3_000_000, 21), "docs/ü read me.txt": b"hello from behind nginx\n"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("stack")
    area = tmp / "area"
    area.mkdir()
    make_dataset(tmp / "src", FILES)
    for doi in (DOI, ODD):
        Stager(open_target(str(area))).stage(doi.lower(), Source(str(tmp / "src")))
    settings = {"DMZPUB_DOWNLOAD_ACCEL": "nginx", "DMZPUB_PUSH_TOKENS": TOKEN, "DMZPUB_PROXY_COUNT": "1"}
    with gunicorn(tmp, **settings) as app, nginx(tmp / "nginx", app["port"], area) as web:
        for doi in (DOI, ODD):
            publish_through(web, doi, TOKEN)
        yield {**web, "app": app, "tmp": tmp}


def publish_through(web: dict[str, Any], doi: str, token: str) -> None:
    """PUT a record through nginx, as the intranet publisher does."""
    pushed = requests.put(
        f"{web['base']}/api/v1/published/{requests.utils.quote(doi, safe='/')}",
        json=v4_document(doi),
        headers={"Authorization": f"Bearer {token}"},
        verify=web["cert"],
        timeout=30,
    )
    assert pushed.status_code == 201, pushed.text


def get(stack: dict[str, Any], path: str, method: str = "GET", **headers: str) -> requests.Response:
    return requests.request(method, stack["base"] + path, headers=headers, verify=stack["cert"], timeout=30)


@pytest.mark.parametrize("path", list(FILES))
def test_files_download_over_https_sent_by_nginx(stack: dict[str, Any], path: str) -> None:
    response = get(stack, file_path(KEY, path))
    assert response.status_code == 200
    assert response.content == FILES[path]
    assert response.headers["Server"] == "nginx"
    assert response.headers["ETag"] == f'"{sha256(FILES[path])}"'
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "X-Accel-Redirect" not in response.headers
    # nginx drops the app's unknown headers on X-Accel-Redirect: the Signposting link must be re-added.
    assert response.headers["Link"].endswith('>; rel="collection"; type="text/html"')


def test_range_and_if_range_over_https(stack: dict[str, Any]) -> None:
    url = file_path(KEY, "big.bin")
    blob = FILES["big.bin"]
    etag = get(stack, url, "HEAD").headers["ETag"]
    part = get(stack, url, Range="bytes=1000000-1000099")
    assert part.status_code == 206
    assert part.content == blob[1_000_000:1_000_100]
    assert part.headers["Content-Range"] == "bytes 1000000-1000099/3000000"
    resumed = get(stack, url, Range="bytes=2999000-", **{"If-Range": etag})
    assert (resumed.status_code, resumed.content) == (206, blob[2_999_000:])
    stale = get(stack, url, Range="bytes=0-9", **{"If-Range": '"' + "0" * 64 + '"'})
    assert (stale.status_code, len(stale.content)) == (200, len(blob))
    assert get(stack, url, Range="bytes=5000000-").status_code == 416


def test_conditional_and_head_over_https(stack: dict[str, Any]) -> None:
    url = file_path(KEY, "big.bin")
    head = get(stack, url, "HEAD")
    assert head.status_code == 200 and head.headers["Content-Length"] == "3000000" and head.content == b""
    assert get(stack, url, **{"If-None-Match": head.headers["ETag"]}).status_code == 304


def test_zip_listing_and_checksums_over_https(stack: dict[str, Any]) -> None:
    archive = get(stack, zip_path(KEY))
    assert archive.status_code == 200 and int(archive.headers["Content-Length"]) == len(archive.content)
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert sorted(names) == sorted(f"10.5555_nginx_set/{p}" for p in [*FILES, "SHA256SUMS"])
    listing = get(stack, listing_path(KEY) + "?format=json").json()
    assert listing["files"][0]["url"].startswith("http")
    sums = get(stack, f"/download/{KEY}/SHA256SUMS").text
    assert f"{sha256(FILES['big.bin'])} *big.bin" in sums


def test_doi_with_reserved_characters_behind_nginx(stack: dict[str, Any]) -> None:
    response = get(stack, file_path(ODD.lower(), "docs/ü read me.txt"))
    assert response.status_code == 200 and response.content == FILES["docs/ü read me.txt"]


@pytest.mark.parametrize(
    "path",
    [
        "/_dmzpub_files/10.5555%252Fnginx%252Fset/big.bin",
        "/download/10.5555/nginx/set/../../../etc/passwd",
        "/download/10.5555/nginx/set/%2e%2e/%2e%2e/manifest.json",
        "/download/10.5555/nginx/set/manifest.json",
    ],
)
def test_internal_location_and_hostile_paths_are_refused(stack: dict[str, Any], path: str) -> None:
    response = get(stack, path)
    assert response.status_code in (400, 404)
    assert FILES["big.bin"][:100] not in response.content


def test_withdrawn_record_is_no_longer_served_by_nginx(stack: dict[str, Any]) -> None:
    url = file_path(ODD.lower(), "big.bin")
    assert get(stack, url, "HEAD").status_code == 200
    withdrawn = requests.delete(
        f"{stack['base']}/api/v1/published/{requests.utils.quote(ODD, safe='/')}",
        headers={"Authorization": f"Bearer {TOKEN}"},
        verify=stack["cert"],
        timeout=10,
    )
    assert withdrawn.status_code in (200, 204)
    assert get(stack, url).status_code == 410


def test_gunicorn_alone_serves_ranges_too(tmp_path: Path) -> None:
    make_dataset(tmp_path / "src", FILES)
    (tmp_path / "area").mkdir()
    Stager(open_target(str(tmp_path / "area"))).stage(KEY, Source(str(tmp_path / "src")))
    with gunicorn(tmp_path, DMZPUB_PUSH_TOKENS=TOKEN) as app:
        base = app["base"]
        requests.put(
            f"{base}/api/v1/published/{DOI}", json=v4_document(DOI), headers={"Authorization": f"Bearer {TOKEN}"}
        )
        response = requests.get(base + file_path(KEY, "big.bin"), headers={"Range": "bytes=10-19"}, timeout=10)
        assert (response.status_code, response.content) == (206, FILES["big.bin"][10:20])
        whole = requests.get(base + file_path(KEY, "big.bin"), timeout=10)
        assert whole.content == FILES["big.bin"] and "X-Accel-Redirect" not in whole.headers
