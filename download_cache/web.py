"""Download routes (DMZ side): anonymous GET/HEAD of staged files of published, non-withdrawn records."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from flask import Blueprint, Flask, Response, current_app, request

from catalogue_core.doi import fold_doi
from catalogue_core.store import Repository
from catalogue_core.urls import DOWNLOAD_PREFIX, landing_path, listing_path

from .area import DownloadArea, dataset_dirname
from .errors import DownloadRefused, UnsafePath
from .manifest import CHECKSUMS
from .paths import MAX_DEPTH
from .responses import (
    Restaging,
    checksums_response,
    file_response,
    listing_response,
    open_staged,
    retry_later,
    text,
    zip_response,
)
from .state import EVICTED, QUARANTINED, STAGED, STAGING
from .streams import StreamPool

bp = Blueprint("downloads", __name__)


@dataclass(frozen=True)
class Resolved:
    """A download path split into the record's key and the rest."""

    key: str
    rest: str
    kind: str  # "zip", "dataset" (no slash after the DOI), "listing" or "file"


def splits(path: str) -> Iterator[tuple[str, str, bool]]:
    """Yield (key, remainder, slash-after-key) for each way to split the path, longest key first."""
    parts = path.split("/")
    if len(parts) < 2 or not parts[0].startswith("10.") or len(parts) > MAX_DEPTH + 8:
        return
    for cut in range(len(parts), 1, -1):
        yield fold_doi("/".join(parts[:cut])), "/".join(parts[cut:]), cut < len(parts)


def resolve(path: str, store: Repository) -> tuple[Resolved | None, bool]:
    """Return what the path names and whether its record is withdrawn; (None, False) when no record matches.

    The ZIP form `<doi>.zip` wins when `<doi>` is a record; otherwise the longest prefix of the path
    that is a record's key is the DOI and the remainder is the file path.
    """
    if fold_doi(path).endswith(".zip"):
        record = store.get(fold_doi(path[:-4]), formats=())
        if record is not None:
            return Resolved(fold_doi(path[:-4]), "", "zip"), record.deleted
    for key, rest, slash in splits(path):
        record = store.get(key, formats=())
        if record is not None:
            kind = "file" if rest else "listing" if slash else "dataset"
            return Resolved(key, rest, kind), record.deleted
    return None, False


@dataclass
class DownloadState:
    """Per app: how to reach the record store, and the download area (one per process: its caches)."""

    repository: Callable[[], Repository]
    area: DownloadArea = field(init=False)
    root: str = ""
    zips: StreamPool | None = None  # made on first use, from DMZPUB_ZIP_STREAMS

    def __post_init__(self) -> None:
        self.area = DownloadArea(self.root)


_KEY = "downloads"  # private to this module: the app hands its store over in init_app()


def _state() -> DownloadState:
    state: DownloadState = current_app.extensions[_KEY]
    return state


def zip_pool() -> StreamPool:
    """Return the process's pool of ZIP streams (DMZPUB_ZIP_STREAMS at once)."""
    state = _state()
    if state.zips is None:
        state.zips = StreamPool(current_app.config["DMZPUB_ZIP_STREAMS"])
    return state.zips


def area() -> DownloadArea:
    """Return the app's download area (one per process, so its manifest cache is shared)."""
    return _state().area


@bp.route(DOWNLOAD_PREFIX + "<path:path>", methods=["GET", "HEAD"])
def download(path: str) -> Response:
    """Serve a staged file, a dataset's listing, its SHA256SUMS or its ZIP."""
    store = _state().repository()
    target, withdrawn = resolve(path, store)
    if target is None:
        raise DownloadRefused(404, "no published record has this DOI")
    if withdrawn:
        raise DownloadRefused(
            410, f"doi:{target.key} was withdrawn; its files are no longer offered", landing_path(target.key)
        )
    if target.kind == "dataset":
        query = request.query_string.decode("latin-1")
        response = text(308, f"see {listing_path(target.key)}")
        response.headers["Location"] = listing_path(target.key) + (f"?{query}" if query else "")
        return response
    downloads = area()
    status = downloads.status(target.key)
    index = downloads.index(target.key) if status.state == STAGED else None
    if index is None:
        return _not_staged(target.key, status.state)
    folder = downloads.dataset_dir(target.key)
    base = current_app.config["DMZPUB_BASE_URL"]
    if target.kind == "listing":
        return listing_response(request, target.key, status, base)
    if target.kind == "zip":
        if request.method == "GET":
            downloads.touch(target.key)
        try:
            for staged_file in status.files:  # each member checked before the first byte goes out
                open_staged(folder, staged_file).close()
        except UnsafePath:
            raise DownloadRefused(404, "this dataset's files are not available", landing_path(target.key)) from None
        except Restaging:
            return retry_later(f"the files of doi:{target.key} are being staged again; try again shortly")
        pool = zip_pool()
        if not pool.try_acquire():
            return retry_later(
                "the server is busy preparing other ZIPs; try again shortly, or fetch the files one by one"
            )
        response = zip_response(target.key, folder, status.files)
        response.call_on_close(pool.release)
        return response
    if target.rest == CHECKSUMS:
        return checksums_response(request, status)
    staged = index.get(target.rest)
    if staged is None:
        raise DownloadRefused(404, f"doi:{target.key} has no file {target.rest!r}", landing_path(target.key))
    if request.method == "GET":
        downloads.touch(target.key)
    accel = current_app.config["DMZPUB_DOWNLOAD_ACCEL_PREFIX"] if current_app.config["DMZPUB_DOWNLOAD_ACCEL"] else None
    response = file_response(request, folder, staged, accel, dataset_dirname(target.key))
    # FAIR Signposting level 1: each item names the landing page it belongs to.
    response.headers["Link"] = f'<{base}{landing_path(target.key)}>; rel="collection"; type="text/html"'
    return response


def _not_staged(key: str, state: str) -> Response:
    back = landing_path(key)
    if state == EVICTED:
        message = f"the files of doi:{key} were removed from the download cache; ask the publisher to restage"
        raise DownloadRefused(404, message, back)
    if state == STAGING:
        raise DownloadRefused(404, f"the files of doi:{key} are being staged; try again later", back, retry_after=300)
    if state == QUARANTINED:
        message = f"the files of doi:{key} failed their integrity check and are withheld until staged again"
        raise DownloadRefused(404, message, back)
    raise DownloadRefused(404, f"doi:{key} has no files in the download area", back)


def init_app(app: Flask, repository: Callable[[], Repository]) -> None:
    """Register the download routes; `repository` returns the app's record store."""
    app.extensions[_KEY] = DownloadState(repository, root=app.config["DMZPUB_DOWNLOAD_DIR"])
    app.register_blueprint(bp)
