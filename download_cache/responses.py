"""HTTP answers for downloads: files (Range, ETag, X-Accel-Redirect), listings, SHA256SUMS and ZIPs."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote

from flask import Request, Response, json
from markupsafe import escape
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.http import is_resource_modified, parse_if_range_header
from werkzeug.wsgi import wrap_file
from zipstream import ZIP_STORED, ZipStream

from catalogue_core.urls import checksums_path, doi_url, file_path, zip_path

from .area import DatasetStatus
from .errors import DownloadCacheError, DownloadRefused, UnsafePath
from .hashing import new_hash
from .manifest import CHECKSUMS, MANIFEST, StagedFile, render_checksums
from .media import content_type
from .paths import open_contained
from .ranges import byte_range

FILE_CSP = "default-src 'none'; sandbox"
# No sandbox on the listing: browsers refuse downloads started from a sandboxed page.
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
BLOCK = 256 * 1024


def harden(response: Response, csp: str = FILE_CSP) -> Response:
    """Add the hardening headers every download answer carries."""
    headers = response.headers
    headers["Content-Security-Policy"] = csp
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    # Published data is public: other sites and scripts may fetch it.
    headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Expose-Headers"] = "Content-Length, Content-Range, ETag, Content-Disposition"
    return response


def text(status: int, message: str) -> Response:
    """Return a short plain-text answer (errors and redirects)."""
    return harden(Response(message + "\n", status=status, mimetype="text/plain"))


def content_disposition(filename: str) -> str:
    """Return an attachment header with an ASCII fallback and the RFC 5987 UTF-8 `filename*`."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(c if c.isprintable() and c not in '"\\;' else "_" for c in ascii_name) or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


class Restaging(DownloadCacheError):
    """The file on disk is no longer the one the manifest describes: the dataset is being staged again."""


def _same_file(handle: Any, staged: StagedFile) -> bool:
    # The copier renames each new file into place: another inode (or nanosecond mtime) is another
    # version, even at the same size within the same second. Manifests without it: size and mtime.
    info = os.fstat(handle.fileno())
    if info.st_size != staged.size:
        return False
    if staged.identity is not None:
        return (info.st_ino, info.st_mtime_ns) == staged.identity
    return int(info.st_mtime) == int(staged.mtime)


def _manifest_stamp(folder: Path) -> tuple[int, int, int] | None:
    try:
        info = os.lstat(folder / MANIFEST)
    except OSError:
        return None
    return info.st_ino, info.st_mtime_ns, info.st_size


def open_staged(folder: Path, staged: StagedFile, listed: bool = True) -> Any:
    """Open a staged file if it is still the manifest's version; raise UnsafePath or Restaging.

    `listed=False` skips the manifest check, for a reader that hashes what it sends (the ZIP).
    """
    handle = open_contained(folder, staged.path)
    # Checked after opening: the manifest still the one read means no re-stage replaced the file
    # before it was opened (one removes the manifest first), whatever the area records of it.
    replaced = listed and staged.listed_by is not None and _manifest_stamp(folder) != staged.listed_by
    if replaced or not _same_file(handle, staged):
        handle.close()
        raise Restaging(f"{staged.path} changed since its manifest was written")
    return handle


def retry_later(message: str) -> NoReturn:
    """Answer 503 (an error page with Retry-After) asking the client to come back once re-staging is done."""
    raise DownloadRefused(503, message, retry_after=30)


def whole_location(accel: str) -> str:
    """Return the internal nginx location that serves the same files always whole (`max_ranges 0`)."""
    return accel.rstrip("/") + "_whole/"


def file_response(request: Request, folder: Path, staged: StagedFile, accel: str | None, dataset_dir: str) -> Response:
    """Return the file, whole or in ranges; with `accel`, let nginx send the bytes (X-Accel-Redirect)."""
    modified = datetime.fromtimestamp(int(staged.mtime), UTC)
    response = Response(status=200, mimetype=None, content_type=content_type(staged.path))
    response.set_etag(staged.sha256)
    response.last_modified = modified
    response.headers["Content-Disposition"] = content_disposition(staged.path.rsplit("/", 1)[-1])
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Accept-Ranges"] = "bytes"
    harden(response)
    try:
        handle = open_staged(folder, staged)
    except UnsafePath:
        raise DownloadRefused(404, f"{staged.path} is not available") from None
    except Restaging:
        return retry_later(f"{staged.path} is being staged again; try again shortly")
    # A stale If-Range asks for the whole file, which only we can decide (nginx would compare
    # against its own validators): nginx then sends it from the location that ignores Range.
    # Either way nginx sends the bytes, so no gunicorn thread waits on a slow reader.
    if accel:
        if request.headers.get("Range") and not _if_range_holds(request, staged.sha256, modified):
            accel = whole_location(accel)
        handle.close()
        if not is_resource_modified(request.environ, staged.sha256, last_modified=modified, ignore_if_range=True):
            response.status_code = 304
            return response
        # nginx decodes this URI once: the folder's own %-escapes must survive as literal characters.
        response.headers["X-Accel-Redirect"] = accel + quote(dataset_dir, safe="") + "/" + quote(staged.path)
        del response.headers["Accept-Ranges"]  # nginx adds its own
        return response
    response.response = wrap_file(request.environ, handle, BLOCK)
    response.direct_passthrough = True
    response.call_on_close(handle.close)
    response.content_length = staged.size
    try:
        environ = _evaluated_range(request, staged, modified)
        response.make_conditional(environ, accept_ranges=True, complete_length=staged.size)
    except RequestedRangeNotSatisfiable:
        handle.close()
        refused = text(416, f"range not satisfiable: the file has {staged.size} bytes")
        refused.headers["Content-Range"] = f"bytes */{staged.size}"
        return refused
    return response


def _evaluated_range(request: Request, staged: StagedFile, modified: datetime) -> dict[str, Any]:
    """Return the environ for make_conditional with Range and If-Range already decided by us; raise a 416."""
    environ = dict(request.environ)
    header = environ.pop("HTTP_RANGE", None)
    environ.pop("HTTP_IF_RANGE", None)  # Werkzeug takes any earlier If-Range date as a match: §13.1.5 wants equal
    if header and _if_range_holds(request, staged.sha256, modified):
        wanted = byte_range(header, staged.size)
        if wanted is not None:
            environ["HTTP_RANGE"] = f"bytes={wanted[0]}-{wanted[1]}"
    return environ


def _if_range_holds(request: Request, sha256: str, modified: datetime) -> bool:
    """Return True unless an If-Range header names another version (strong comparison)."""
    if "If-Range" not in request.headers:
        return True
    wanted = parse_if_range_header(request.headers["If-Range"])
    if wanted.etag is not None:
        return (
            wanted.etag == sha256
            and '"' in request.headers["If-Range"]
            and not request.headers["If-Range"].startswith("W/")
        )
    return wanted.date is not None and wanted.date == modified


def checksums_response(request: Request, status: DatasetStatus) -> Response:
    """Return the dataset's SHA256SUMS as text, rendered from its manifest (conditional on its own hash).

    Never the file on disk: whoever can write the area could make it a link to the server's secrets.
    """
    response = Response(render_checksums(status.files), mimetype="text/plain")
    response.add_etag()
    response.headers["Content-Disposition"] = content_disposition(CHECKSUMS)
    response.headers["Cache-Control"] = "no-cache"
    harden(response)
    response.make_conditional(request)  # in place; it returns the plain werkzeug type
    return response


def listing_data(key: str, status: DatasetStatus, base_url: str) -> dict[str, object]:
    """Return the JSON listing of a staged dataset."""
    return {
        "doi": key,
        "staged": status.staged,
        "total_size": status.total_size,
        "files": [
            {"path": f.path, "size": f.size, "sha256": f.sha256, "url": base_url + file_path(key, f.path)}
            for f in status.files
        ],
        "checksums": base_url + checksums_path(key),
        "zip": base_url + zip_path(key),
    }


def listing_response(request: Request, key: str, status: DatasetStatus, base_url: str) -> Response:
    """Return the file listing as HTML, or JSON by Accept or ?format=json."""
    wants = request.args.get("format") or request.accept_mimetypes.best_match(["text/html", "application/json"])
    data = listing_data(key, status, base_url)
    if wants in ("json", "application/json"):
        response = Response(json.dumps(data), mimetype="application/json")
    else:
        response = Response(_listing_html(key, status), mimetype="text/html")
    harden(response, PAGE_CSP)
    response.headers["Vary"] = "Accept"
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    response.make_conditional(request)  # in place; it returns the plain werkzeug type
    return response


def _listing_html(key: str, status: DatasetStatus) -> str:
    rows = "\n".join(
        f'<tr><td><a href="{escape(file_path(key, f.path))}">{escape(f.path)}</a></td>'
        f'<td class="n">{f.size:,}</td><td><code>{f.sha256}</code></td></tr>'
        for f in status.files
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Files of doi:{escape(key)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:sans-serif;margin:2rem;max-width:70rem}}td{{padding:.2rem .6rem}}.n{{text-align:right}}
code{{font-size:.75rem}}</style></head>
<body><h1>Files of doi:{escape(key)}</h1>
<p>{len(status.files)} file(s), {status.total_size:,} bytes, staged {escape(status.staged or "")}.
<a href="{escape(zip_path(key))}">Download all as ZIP</a> ·
<a href="{escape(checksums_path(key))}">SHA256SUMS</a> ·
<a href="{escape(doi_url(key))}">doi.org/{escape(key)}</a></p>
<table><thead><tr><th>file</th><th>bytes</th><th>SHA-256</th></tr></thead><tbody>
{rows}
</tbody></table></body></html>
"""


def zip_name(key: str) -> str:
    """Return the ZIP's file name (and top folder): the DOI with its slashes made underscores."""
    return key.replace("/", "_")


def _verified(folder: Path, staged: StagedFile) -> Iterator[bytes]:
    """Yield a staged file's bytes; raise (cutting the ZIP short, visibly) unless they are the manifest's.

    Size and identity are checked when the file is opened, but an area that records no identity
    (SFTP) cannot tell a file staged again within the same second with the same size: its SHA-256 does.
    """
    digest = new_hash()
    # The hash decides here: a re-stage that left this file alone must not cut a ZIP short.
    with open_staged(folder, staged, listed=False) as handle:
        while chunk := handle.read(BLOCK):
            digest.update(chunk)
            yield chunk
    if digest.hexdigest() != staged.sha256:
        raise Restaging(f"{staged.path} changed while it was sent")


def zip_response(key: str, folder: Path, files: Iterable[StagedFile]) -> Response:
    """Return the dataset as a stored (uncompressed) ZIP streamed with its Content-Length announced.

    Every member is checked against the manifest as it is opened: a dataset staged again meanwhile
    ends the stream early (the client sees a short download), never a whole ZIP of other bytes.
    """
    stream = ZipStream(compress_type=ZIP_STORED, sized=True)
    top = zip_name(key)
    staged_files = tuple(files)
    for staged in staged_files:
        stream.add(_verified(folder, staged), f"{top}/{staged.path}", size=staged.size)
    stream.add(render_checksums(staged_files), f"{top}/{CHECKSUMS}")
    # Not direct_passthrough: Werkzeug then wraps the stream so that call_on_close runs (the pool slot).
    response = Response(stream, mimetype="application/zip")
    response.content_length = len(stream)
    response.headers["Content-Disposition"] = content_disposition(top + ".zip")
    response.headers["Cache-Control"] = "no-cache"
    if staged_files:
        response.last_modified = datetime.fromtimestamp(int(max(f.mtime for f in staged_files)), UTC)
    return harden(response)
