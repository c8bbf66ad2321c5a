"""Anonymous downloads: files with Range/ETag, listings, SHA256SUMS, the ZIP; only published datasets."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from conftest import Pusher, v4_document
from download_helpers import make_dataset, random_bytes, sha256
from flask import Flask
from flask.testing import FlaskClient

from catalogue_core.urls import file_path, listing_path, zip_path
from download_cache.area import ACCESS, DownloadArea, dataset_dirname
from download_cache.manifest import MANIFEST
from download_cache.open_target import open_target
from download_cache.retention import Retention
from download_cache.sources import Source
from download_cache.stage import Stager

DOI = "10.5555/DL/Set-1"
KEY = DOI.lower()
FILES = {
    "readme.txt": b"read me\n",
    "data/table.csv": b"a,b\n1,2\n",
    "data/blob.bin": random_bytes(100_000, 7),
    "Ünïcode file.json": b'{"x": 1}\n',
    "archive.tar.gz": b"\x1f\x8b not really",
}
HARDENING = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class BufferedClient(FlaskClient):
    """Read each answer whole, so the server side closes the files it opened (as a WSGI server does)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    return {**app_config, "DMZPUB_DOWNLOAD_DIR": str(tmp_path / "area")}


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = BufferedClient
    return app.test_client()


def publish_and_stage(pusher: Pusher, area: Path, src: Path, doi: str, files: dict[str, bytes]) -> None:
    assert pusher.put(v4_document(doi)).status_code == 201
    make_dataset(src, files)
    area.mkdir(exist_ok=True)
    Stager(open_target(str(area))).stage(doi.lower(), Source(str(src)))


@pytest.fixture
def staged(pusher: Pusher, tmp_path: Path) -> Path:
    publish_and_stage(pusher, tmp_path / "area", tmp_path / "src", DOI, FILES)
    return tmp_path / "area"


def test_listing_html_links_every_file(client: FlaskClient, staged: Path) -> None:
    response = client.get(listing_path(KEY))
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for path in FILES:
        assert f'href="{file_path(KEY, path)}"' in page.replace("&#39;", "'")
    assert f'href="{zip_path(KEY)}"' in page
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Vary"] == "Accept"


@pytest.mark.parametrize("how", [{"query_string": {"format": "json"}}, {"headers": {"Accept": "application/json"}}])
def test_listing_json(client: FlaskClient, staged: Path, how: dict[str, Any]) -> None:
    response = client.get(listing_path(KEY), **how)
    assert response.mimetype == "application/json"
    data = response.get_json()
    assert data["doi"] == KEY and data["total_size"] == sum(len(d) for d in FILES.values())
    assert {f["path"]: f["sha256"] for f in data["files"]} == {p: sha256(d) for p, d in FILES.items()}
    assert data["zip"] == "https://doi.example.org" + zip_path(KEY)
    first = next(f for f in data["files"] if f["path"] == "data/blob.bin")
    assert first["url"] == "https://doi.example.org/download/10.5555/dl/set-1/data/blob.bin"


def test_doi_without_trailing_slash_redirects_to_the_listing(client: FlaskClient, staged: Path) -> None:
    response = client.get("/download/10.5555/DL/Set-1?format=json")
    assert response.status_code == 308
    assert response.headers["Location"] == listing_path(KEY) + "?format=json"


@pytest.mark.parametrize("path", list(FILES))
def test_every_file_downloads_with_its_headers(client: FlaskClient, staged: Path, path: str) -> None:
    response = client.get(file_path(KEY, path))
    assert response.status_code == 200
    assert response.data == FILES[path]
    assert response.headers["ETag"] == f'"{sha256(FILES[path])}"'
    assert response.headers["Content-Length"] == str(len(FILES[path]))
    assert response.headers["Accept-Ranges"] == "bytes"
    mtime = int(os.stat(staged.parent / "src" / path).st_mtime)
    assert response.last_modified.timestamp() == mtime
    name = path.rsplit("/", 1)[-1]
    assert response.headers["Content-Disposition"].endswith(f"filename*=UTF-8''{quote(name, safe='')}")
    assert response.headers["Content-Disposition"].startswith('attachment; filename="')
    for header, value in HARDENING.items():
        assert response.headers[header] == value
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("readme.txt", "text/plain; charset=utf-8"),
        ("data/table.csv", "text/csv; charset=utf-8"),
        ("Ünïcode file.json", "application/json"),
        ("archive.tar.gz", "application/gzip"),
        ("data/blob.bin", "application/octet-stream"),
    ],
)
def test_content_type_by_extension(client: FlaskClient, staged: Path, path: str, media_type: str) -> None:
    assert client.head(file_path(KEY, path)).headers["Content-Type"] == media_type


def test_unicode_name_gets_an_ascii_fallback(client: FlaskClient, staged: Path) -> None:
    header = client.head(file_path(KEY, "Ünïcode file.json")).headers["Content-Disposition"]
    assert header == "attachment; filename=\"Unicode file.json\"; filename*=UTF-8''%C3%9Cn%C3%AFcode%20file.json"


def test_head_answers_headers_without_a_body(client: FlaskClient, staged: Path) -> None:
    response = client.head(file_path(KEY, "data/blob.bin"))
    assert response.status_code == 200 and response.data == b""
    assert response.headers["Content-Length"] == "100000"
    assert response.headers["ETag"] == f'"{sha256(FILES["data/blob.bin"])}"'


BLOB = FILES["data/blob.bin"]


@pytest.mark.parametrize(
    ("header", "body", "content_range"),
    [
        ("bytes=0-9", BLOB[:10], "bytes 0-9/100000"),
        ("bytes=99990-", BLOB[99990:], "bytes 99990-99999/100000"),
        ("bytes=-7", BLOB[-7:], "bytes 99993-99999/100000"),
        ("bytes=50000-50000", BLOB[50000:50001], "bytes 50000-50000/100000"),
        ("bytes=99000-200000", BLOB[99000:], "bytes 99000-99999/100000"),
    ],
)
def test_range_requests(client: FlaskClient, staged: Path, header: str, body: bytes, content_range: str) -> None:
    response = client.get(file_path(KEY, "data/blob.bin"), headers={"Range": header})
    assert response.status_code == 206
    assert response.data == body
    assert response.headers["Content-Range"] == content_range
    assert response.headers["Content-Length"] == str(len(body))


@pytest.mark.parametrize("header", ["bytes=100000-", "bytes=200000-300000"])
def test_unsatisfiable_range_is_416(client: FlaskClient, staged: Path, header: str) -> None:
    response = client.get(file_path(KEY, "data/blob.bin"), headers={"Range": header})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */100000"


def test_if_range(client: FlaskClient, staged: Path) -> None:
    url = file_path(KEY, "data/blob.bin")
    etag = f'"{sha256(BLOB)}"'
    current = client.get(url, headers={"Range": "bytes=10-19", "If-Range": etag})
    assert (current.status_code, current.data) == (206, BLOB[10:20])
    stale = client.get(url, headers={"Range": "bytes=10-19", "If-Range": '"' + "0" * 64 + '"'})
    assert (stale.status_code, stale.data) == (200, BLOB)
    by_date = client.get(url, headers={"Range": "bytes=10-19", "If-Range": current.headers["Last-Modified"]})
    assert (by_date.status_code, by_date.data) == (206, BLOB[10:20])


def test_conditional_get(client: FlaskClient, staged: Path) -> None:
    url = file_path(KEY, "readme.txt")
    etag = client.head(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_sha256sums(client: FlaskClient, staged: Path) -> None:
    response = client.get(f"/download/{KEY}/SHA256SUMS")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert sorted(lines) == sorted(f"{sha256(d)} *{p}" for p, d in FILES.items())


def test_zip_streams_every_file_stored_with_its_length(client: FlaskClient, staged: Path) -> None:
    head = client.head(zip_path(KEY))
    response = client.get(zip_path(KEY))
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert int(head.headers["Content-Length"]) == int(response.headers["Content-Length"]) == len(response.data)
    assert "filename*=UTF-8''10.5555_dl_set-1.zip" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.testzip() is None
    names = {info.filename: info for info in archive.infolist()}
    for path, data in FILES.items():
        info = names[f"10.5555_dl_set-1/{path}"]
        assert info.compress_type == zipfile.ZIP_STORED
        assert archive.read(info) == data
    assert b"*data/blob.bin" in archive.read("10.5555_dl_set-1/SHA256SUMS")


def test_downloads_are_recorded_for_eviction_but_heads_are_not(client: FlaskClient, staged: Path) -> None:
    marker = staged / dataset_dirname(KEY) / ACCESS
    client.head(file_path(KEY, "readme.txt"))
    assert not marker.exists()
    client.get(file_path(KEY, "readme.txt"))
    assert marker.exists()


def test_withdrawn_record_is_gone(client: FlaskClient, pusher: Pusher, staged: Path) -> None:
    assert pusher.withdraw(KEY).status_code in (200, 204)
    for url in (file_path(KEY, "readme.txt"), listing_path(KEY), zip_path(KEY), f"/download/{KEY}/SHA256SUMS"):
        response = client.get(url)
        assert response.status_code == 410, url
        assert "withdrawn" in response.get_data(as_text=True)


def test_unknown_doi_is_404(client: FlaskClient, staged: Path) -> None:
    response = client.get("/download/10.5555/unknown/readme.txt")
    assert response.status_code == 404 and "no published record" in response.get_data(as_text=True)


def test_published_but_not_staged(client: FlaskClient, pusher: Pusher, tmp_path: Path) -> None:
    pusher.put(v4_document("10.5555/not-staged"))
    response = client.get("/download/10.5555/not-staged/")
    assert response.status_code == 404 and "no files" in response.get_data(as_text=True)
    (tmp_path / "area" / dataset_dirname("10.5555/not-staged")).mkdir(parents=True)
    response = client.get("/download/10.5555/not-staged/")
    assert response.status_code == 404 and response.headers["Retry-After"] == "300"


def test_evicted_dataset_says_so(client: FlaskClient, staged: Path) -> None:
    Retention(open_target(str(staged))).evict(KEY)
    response = client.get(file_path(KEY, "readme.txt"))
    assert response.status_code == 404 and "removed from the download cache" in response.get_data(as_text=True)
    assert DownloadArea(staged).status(KEY).state == "evicted"


@pytest.mark.parametrize(
    "path",
    [
        "../../../etc/passwd",
        "%2e%2e/%2e%2e/etc/passwd",
        "data/..%2f..%2fmanifest.json",
        "/etc/passwd",
        "manifest.json",
        ".state.json",
        ".dmzpub-access",
        ".dmzpub-lock",
        "planted.txt",
        "readme.txt%00.png",
        "data",
        "data/",
        "README.TXT",
    ],
)
def test_hostile_or_unlisted_paths_are_404(client: FlaskClient, staged: Path, path: str) -> None:
    (staged / dataset_dirname(KEY) / "planted.txt").write_text("not in the manifest")
    response = client.get(f"/download/{KEY}/{path}")
    assert response.status_code == 404
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_hostile_manifest_hides_the_dataset(client: FlaskClient, staged: Path, tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("secret")
    manifest_path = staged / dataset_dirname(KEY) / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["files"].append({"path": "../../secret", "size": 6, "sha256": sha256(b"secret")})
    manifest_path.write_text(json.dumps(manifest))
    assert client.get(f"/download/{KEY}/../../secret").status_code == 404
    assert client.get(listing_path(KEY)).status_code == 404


def test_a_link_swapped_into_the_area_is_not_followed(client: FlaskClient, staged: Path, tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("secret\n\n")
    target = staged / dataset_dirname(KEY) / "readme.txt"
    target.unlink()
    target.symlink_to(tmp_path / "secret")
    assert client.get(file_path(KEY, "readme.txt")).status_code == 404


def test_longest_record_key_names_the_dataset(client: FlaskClient, pusher: Pusher, tmp_path: Path) -> None:
    area = tmp_path / "area"
    publish_and_stage(pusher, area, tmp_path / "outer", "10.5555/nest", {"inner/x.txt": b"outer's file"})
    publish_and_stage(pusher, area, tmp_path / "inner", "10.5555/nest/inner", {"x.txt": b"inner's file"})
    assert client.get("/download/10.5555/nest/inner/x.txt").data == b"inner's file"
    assert client.get("/download/10.5555/NEST/inner/x.txt").data == b"inner's file"
    assert client.get("/download/10.5555/nest/inner.zip").mimetype == "application/zip"
    assert client.get("/download/10.5555/nest/").get_json() is None
    listing = client.get("/download/10.5555/nest/", query_string={"format": "json"}).get_json()
    assert [f["path"] for f in listing["files"]] == ["inner/x.txt"]


@pytest.mark.parametrize("doi", ["10.5555/odd#suffix?with=chars", "10.5555/ümlaut<%>[x]"])
def test_dois_with_reserved_characters(client: FlaskClient, pusher: Pusher, tmp_path: Path, doi: str) -> None:
    publish_and_stage(pusher, tmp_path / "area", tmp_path / "src", doi, {"f.txt": b"odd"})
    assert client.get(file_path(doi.lower(), "f.txt")).data == b"odd"
    assert client.get(zip_path(doi.lower())).status_code == 200
    assert client.get(listing_path(doi.lower()), query_string={"format": "json"}).get_json()["doi"] == doi.lower()


def test_landing_page_links_resolve_to_the_staged_files(client: FlaskClient, staged: Path) -> None:
    page = client.get(f"/doi/{DOI}", follow_redirects=True).get_data(as_text=True)
    for path in ("readme.txt", "data/blob.bin"):
        link = "https://doi.example.org" + file_path(KEY, path)
        assert link.replace("&", "&amp;") in page
        assert client.get(file_path(KEY, path)).data == FILES[path]
    assert "https://doi.example.org" + zip_path(KEY) in page
