"""Hostile requests to the public routes get a clear answer, never a 500 (each case was once a finding)."""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import NS, TOKEN, Pusher, v4_document
from download_helpers import random_bytes
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree
from test_download_routes import DOI, FILES, KEY, BufferedClient, publish_and_stage

from catalogue_core.urls import file_path, zip_path
from download_cache import responses
from download_cache.area import dataset_dirname
from download_cache.manifest import CHECKSUMS, MANIFEST
from download_cache.open_target import open_target
from download_cache.sources import Source
from download_cache.stage import Stager

# A query string whose bytes are not UTF-8, as a client can put it on the request line (gunicorn hands
# WSGI the bytes as latin-1): Werkzeug's request.args decodes it strictly and raised UnicodeDecodeError.
BLOB = FILES["data/blob.bin"]


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


RAW_QUERIES = ["verb=Identify&x=\xff\xfe", "verb=\xc3\x28", "\xff=\xff", "verb=ListRecords&metadataPrefix=\xe2\x80"]


@pytest.mark.parametrize("query", RAW_QUERIES)
def test_oai_answers_non_utf8_query_bytes_with_an_oai_error(client: Any, query: str) -> None:
    response = client.get("/oai", environ_overrides={"QUERY_STRING": query})
    assert response.status_code == 200
    codes = etree.fromstring(response.data).xpath("//oai:error/@code", namespaces=NS)
    assert codes and set(codes) <= {"badArgument", "badVerb", "cannotDisseminateFormat"}, codes


@pytest.mark.parametrize("path", ["/", "/sitemap.xml", "/doi/10.5555/none"])
@pytest.mark.parametrize("query", ["q=\xff\xfe", "after=\xc3\x28&page=\xff"])
def test_pages_answer_non_utf8_query_bytes(client: Any, path: str, query: str) -> None:
    response = client.get(path, environ_overrides={"QUERY_STRING": query})
    assert response.status_code in (200, 400, 404), response.status_code


@pytest.mark.parametrize("query", ["after=\xff", "limit=\xff", "\xff=1"])
def test_api_answers_non_utf8_query_bytes_with_a_problem(client: Any, query: str) -> None:
    response = client.get(
        "/api/v1/published", environ_overrides={"QUERY_STRING": query}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code in (200, 400), response.status_code
    assert response.is_json


# Range semantics of RFC 9110 §14 that Werkzeug's make_conditional got wrong for direct (non-nginx) downloads.
@pytest.mark.parametrize(
    ("header", "status", "content_range", "body"),
    [
        # A suffix longer than the file means the whole file (§14.1.2), also past 64-bit numbers.
        ("bytes=-200000", 206, "bytes 0-99999/100000", BLOB),
        ("bytes=-99999999999999999999999", 206, "bytes 0-99999/100000", BLOB),
        # An unknown range unit, or a syntactically invalid range, is ignored (§14.2): the whole file.
        ("items=0-1", 200, None, BLOB),
        ("bytes=5-1", 200, None, BLOB),
        ("bytes=", 200, None, BLOB),
        ("bytes=1e3-", 200, None, BLOB),
        ("bytes=0x10-0x20", 200, None, BLOB),
        # Several ranges: we send no multipart/byteranges, so the whole file, not a 416 (§14.2 lets us ignore).
        ("bytes=0-1,5-6", 200, None, BLOB),
        ("bytes=0-1,0-1,0-1", 200, None, BLOB),
        # Still unsatisfiable: a zero suffix, a start past the end.
        ("bytes=-0", 416, "bytes */100000", None),
        ("bytes=99999999999999999999999-", 416, "bytes */100000", None),
        # Numbers past int()'s 4300-digit limit.
        ("bytes=-" + "9" * 5000, 206, "bytes 0-99999/100000", BLOB),
        ("bytes=0-" + "9" * 5000, 206, "bytes 0-99999/100000", BLOB),
        ("bytes=" + "9" * 5000 + "-", 416, "bytes */100000", None),
        ("bytes=" + "9" * 5000 + "-" + "9" * 5001, 416, "bytes */100000", None),
        # Still honoured: the unit is case-insensitive, an end past the file is clipped.
        ("BYTES=0-1", 206, "bytes 0-1/100000", BLOB[:2]),
        ("bytes=0-99999999999999999999999", 206, "bytes 0-99999/100000", BLOB),
    ],
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_download_range_edge_cases(
    client: Any, staged: Any, method: str, header: str, status: int, content_range: str | None, body: bytes | None
) -> None:
    response = client.open(file_path(KEY, "data/blob.bin"), method=method, headers={"Range": header})
    assert response.status_code == status
    assert response.headers.get("Content-Range") == content_range
    if body is not None:
        assert response.headers["Content-Length"] == str(len(body))
        assert response.data == (body if method == "GET" else b"")


@pytest.mark.parametrize(
    ("if_range", "status"),
    [
        ("Sun, 31 Dec 9999 23:59:59 GMT", 200),  # a date matches only when equal to Last-Modified (§13.1.5)
        ("Mon, 01 Jan 1900 00:00:00 GMT", 200),
        ("not a date", 200),
        ('W/"abc"', 200),
        ("LAST-MODIFIED", 206),
        ("ETAG", 206),
    ],
)
def test_download_if_range_matches_exactly(client: Any, staged: Any, if_range: str, status: int) -> None:
    url = file_path(KEY, "data/blob.bin")
    validators = client.head(url).headers
    if_range = {"LAST-MODIFIED": validators["Last-Modified"], "ETAG": validators["ETag"]}.get(if_range, if_range)
    response = client.get(url, headers={"Range": "bytes=10-19", "If-Range": if_range})
    assert response.status_code == status
    assert response.data == (BLOB[10:20] if status == 206 else BLOB)


# The CSL-JSON export took str.isdigit() for "int() parses this": an Issued date "2020-²" was a 500.
@pytest.mark.parametrize(
    ("date", "parts"), [("2020-²", [2020]), ("²-01-01", []), ("2020-xx-04", [2020]), ("2021-03-04", [2021, 3, 4])]
)
def test_csl_export_survives_odd_issued_dates(client: Any, pusher: Pusher, date: str, parts: list[int]) -> None:
    document = v4_document("10.5555/odd-date")
    document["metadata"]["dates"] = [{"dateType": "Issued", "date": date}]
    assert pusher.put(document).status_code == 201
    response = client.get("/doi/10.5555/odd-date", headers={"Accept": "application/vnd.citationstyles.csl+json"})
    assert response.status_code == 200
    # csl-data.json: date-parts hold 1 to 3 numbers, so a date without any leaves "issued" out.
    assert response.get_json().get("issued") == ({"date-parts": [parts]} if parts else None)


LONG_DOI = "10.5555/" + "x" * 5000
DOI_PATHS = [
    "/doi/10.5555/DL/Set-1",
    "/doi/10.5555%2Fdl%2Fset-1",
    "/doi/%",
    "/doi/%zz",
    "/doi/%00",
    "/doi/%ff%fe",
    "/doi/10.5555/\x01\x7f",
    "/doi/" + LONG_DOI,
    "/doi/10.5555/a%2F..%2F..",
    "/doi/10.5555/dl/set-1/../../etc",
    "/doi/..",
    "/doi//10.5555/x",
    "/doi/10.5555/%E2%80%AE",
    "/doi/10.5555/%C3%28",
    "/doi/https://doi.org/10.5555/dl/set-1",
]
ACCEPTS = [
    "text/html;q=abc",
    "application/json;q=2",
    "*/*;q=-1",
    "application/ld+json;q=1e999",
    ";;;",
    "x" * 9000,
    "text/html;q=0, application/json;q=0",
    "application/x-bibtex;q=nan",
    "text/*;q=0.5;level=\x01",
]
OAI_QUERIES = [
    "verb=Identify&x=" + "a" * 100000,
    "verb=%ff",
    "verb=Identify%00",
    "verb=ListRecords&metadataPrefix=oai_dc&from=" + "9" * 5000,
    "verb=ListRecords&resumptionToken=" + "%ff" * 1000,
    "verb=GetRecord&identifier=%ff&metadataPrefix=oai_dc",
    "verb=ListRecords&metadataPrefix=oai_dc&set=%00",
    "verb=ListRecords&metadataPrefix=oai_dc&from=0000-00-00",
    "verb=ListRecords&metadataPrefix=oai_dc&until=0001-01-01",
    "verb=ListIdentifiers&metadataPrefix=oai_dc&from=2020-02-30",
    "verb=GetRecord&identifier=oai:doi.example.org:" + LONG_DOI + "&metadataPrefix=oai_dc",
    "&&&&",
    "=",
    "verb=Identify&verb=",
]


def _hostile_requests() -> list[tuple[str, str, dict[str, Any]]]:
    """Return (method, path, request arguments) for every hostile request of the sweep."""
    cases: list[tuple[str, str, dict[str, Any]]] = []
    for path in DOI_PATHS:
        cases += [(method, path, {"headers": {"Accept": accept}}) for method in ("GET", "HEAD") for accept in ACCEPTS]
    for q in ["%ff", "%00", "a" * 10000, '"', "title:(", "[", "\\", "%", "_"]:
        cases += [("GET", "/", {"query_string": f"q={q}{extra}"}) for extra in ("", "&page=-1", "&before=%ff")]
    for after in ["%ff", "2020-13-45", "9" * 5000, "%00", "10.5555/dl/set-1"]:
        cases += [
            ("GET", path, {"query_string": f"after={after}"}) for path in ("/sitemap.xml", "/sitemap-records.xml")
        ]
    for query in OAI_QUERIES:
        cases += [("GET", "/oai", {"query_string": query})]
        cases += [("POST", "/oai", {"data": query, "content_type": "application/x-www-form-urlencoded"})]
    for content_type in ["multipart/form-data", "text/plain", "application/x-www-form-urlencoded; charset=utf-16"]:
        cases += [("POST", "/oai", {"data": "verb=Identify".encode("utf-16"), "content_type": content_type})]
    url = file_path(KEY, "data/blob.bin")
    for condition in [{"If-None-Match": "*"}, {"If-Modified-Since": "garbage"}, {"If-Match": '"nope"'}]:
        cases += [(m, url, {"headers": {**condition, "Range": "bytes=0-1,3-4"}}) for m in ("GET", "HEAD")]
    for path in [
        "/download/%ff",
        "/download/%00",
        "/download/" + "a/" * 3000,
        f"/download/{KEY}/files/data/blob.bin%00",
    ]:
        cases += [(method, path, {}) for method in ("GET", "HEAD")]
    return cases


def test_hostile_requests_never_get_a_5xx(client: Any, staged: Any) -> None:
    failures = []
    for method, path, kwargs in _hostile_requests():
        response = client.open(path, method=method, **kwargs)
        if response.status_code >= 500 or (path == "/oai" and b"<OAI-PMH" not in response.data):
            failures.append((response.status_code, method, path[:80], str(kwargs)[:80]))
    assert not failures


# Only what was staged is served: no links out of SHA256SUMS or manifests, no special files, atomic re-staging.


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
    archive = client.get(zip_path(KEY))
    assert b"TOP-SECRET" not in archive.data


def test_a_manifest_that_is_a_link_hides_the_dataset(client: FlaskClient, staged: Path, tmp_path: Path) -> None:
    folder = staged / dataset_dirname(KEY)
    real = tmp_path / "elsewhere.json"
    real.write_bytes((folder / MANIFEST).read_bytes())
    (folder / MANIFEST).unlink()
    (folder / MANIFEST).symlink_to(real)
    assert client.get(file_path(KEY, "readme.txt")).status_code == 404
    assert client.get(zip_path(KEY)).status_code == 404


def test_a_special_file_in_a_dataset_is_never_opened(client: FlaskClient, staged: Path) -> None:
    # A FIFO would hang the worker that opens it, a device would stream for ever.
    target = staged / dataset_dirname(KEY) / "readme.txt"
    target.unlink()
    os.mkfifo(target)
    response = client.get(file_path(KEY, "readme.txt"))
    assert response.status_code in (404, 503)
    assert client.get(zip_path(KEY)).status_code in (404, 503)


def _restage(staged: Path, tmp_path: Path, files: dict[str, bytes]) -> None:
    src = tmp_path / "src2"
    for rel, data in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    Stager(open_target(str(staged))).stage(KEY, Source(str(src)))


def test_a_zip_started_before_a_restage_never_comes_back_whole_with_other_bytes(
    app: Any, staged: Path, tmp_path: Path
) -> None:
    client = app.test_client()
    response = client.get(zip_path(KEY), buffered=False)
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
    client.get(file_path(KEY, "data/blob.bin"), buffered=True)  # caches the old manifest's index
    folder = staged / dataset_dirname(KEY)
    new = b"other bytes, other length"
    (folder / "data" / ".dmzpub-swap").write_bytes(new)
    os.replace(folder / "data" / ".dmzpub-swap", folder / "data" / "blob.bin")
    response = client.get(file_path(KEY, "data/blob.bin"))
    assert response.status_code == 503 and response.headers["Retry-After"], response.status_code


def test_zips_come_from_a_bounded_pool_and_the_rest_are_asked_to_retry(app: Flask, staged: Path) -> None:
    # 64 ZIP requests took every gunicorn thread, and the rest of the site with them.
    app.config["DMZPUB_ZIP_STREAMS"] = 1
    client = app.test_client()
    first = client.get(zip_path(KEY), buffered=False)
    assert first.status_code == 200
    busy = client.get(zip_path(KEY), buffered=True)
    assert busy.status_code == 503 and busy.headers["Retry-After"]
    assert client.get(file_path(KEY, "readme.txt"), buffered=True).status_code == 200
    first.close()
    assert client.get(zip_path(KEY), buffered=True).status_code == 200


def test_a_file_replaced_in_the_same_second_with_the_same_size_is_never_served_as_the_old_one(
    app: Any, staged: Path
) -> None:
    # Size and whole-second mtime both still match the manifest: only the file's identity tells.
    client = app.test_client()
    client.get(file_path(KEY, "data/blob.bin"), buffered=True)  # caches the old manifest's index
    target = staged / dataset_dirname(KEY) / "data" / "blob.bin"
    before = target.stat()
    swap = target.with_name(".dmzpub-swap")
    swap.write_bytes(random_bytes(before.st_size, 9))
    os.utime(swap, ns=(before.st_atime_ns, int(before.st_mtime) * 1_000_000_000 + 1))
    os.replace(swap, target)
    response = client.get(file_path(KEY, "data/blob.bin"), buffered=True)
    assert response.status_code == 503 and response.headers["Retry-After"], response.status_code
    assert client.get(zip_path(KEY), buffered=True).status_code == 503


def test_staging_again_after_the_area_was_copied_records_the_new_copies_and_serves_them(
    app: Any, staged: Path, tmp_path: Path
) -> None:
    # A copied area (backup restore, new disk) has new inodes: refused until staged again, then served.
    client = app.test_client()
    target = staged / dataset_dirname(KEY) / "readme.txt"
    swap = target.with_name(".dmzpub-copy")
    shutil.copy2(target, swap)
    os.replace(swap, target)
    assert client.get(file_path(KEY, "readme.txt"), buffered=True).status_code == 503
    report = Stager(open_target(str(staged))).stage(KEY, Source(str(tmp_path / "src")))
    assert report.copied == 0
    response = client.get(file_path(KEY, "readme.txt"), buffered=True)
    assert response.status_code == 200 and response.data == FILES["readme.txt"]


def test_a_restage_between_reading_the_manifest_and_opening_the_file_is_noticed_where_no_identity_is_kept(
    app: Any, staged: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An SFTP area records no inode, and SFTP sets mtimes in whole seconds: only the manifest tells.
    folder = staged / dataset_dirname(KEY)
    manifest = json.loads((folder / MANIFEST).read_bytes())
    for entry in manifest["files"]:
        del entry["ino"], entry["mtime_ns"]
    (folder / MANIFEST).write_text(json.dumps(manifest))
    target = folder / "data" / "blob.bin"
    real_open = responses.open_contained

    def restage_then_open(root: Path, relpath: str) -> Any:
        if relpath == "data/blob.bin" and not (tmp_path / "restaged").exists():
            (tmp_path / "restaged").touch()
            # As the stager does: hide the dataset, put the new copy in place, write the manifest last.
            (folder / MANIFEST).unlink()
            before = target.stat()
            swap = target.with_name(".dmzpub-swap")
            swap.write_bytes(random_bytes(before.st_size, 9))
            os.utime(swap, ns=(before.st_atime_ns, before.st_mtime_ns))
            os.replace(swap, target)
            (folder / ".dmzpub-tmp.manifest").write_text(json.dumps(manifest))
            os.replace(folder / ".dmzpub-tmp.manifest", folder / MANIFEST)
        return real_open(root, relpath)

    monkeypatch.setattr(responses, "open_contained", restage_then_open)
    response = app.test_client().get(file_path(KEY, "data/blob.bin"), buffered=True)
    assert response.status_code == 503 and response.headers["Retry-After"], response.status_code
