"""The download section of a landing page, read from the download area the copier fills."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from markupsafe import escape

from catalogue_core import frozen
from catalogue_core.urls import checksums_path, file_path, in_path, listing_path, zip_path
from download_cache.area import DatasetStatus
from download_cache.media import media_type
from download_cache.state import STAGED

from .model import human_size, safe_url, thousands

FILES_SHOWN = 100  # a page lists this many files; the listing has them all


@dataclass(frozen=True)
class FileLink:
    """One staged file as a page shows it: absolute link, size and checksum."""

    path: str
    url: str
    size: int
    size_text: str
    sha256: str
    media_type: str


@dataclass(frozen=True)
class Downloads:
    """What a visitor can download: staged files, or why there are none and where else to look."""

    state: str
    files: tuple[FileLink, ...] = ()
    file_count: int = 0
    total_size: int = 0
    zip_url: str | None = None
    listing_url: str | None = None
    checksums_url: str | None = None
    external_url: str | None = None
    staged: str | None = None
    all_files: tuple[FileLink, ...] = field(default_factory=tuple, repr=False)

    @property
    def total_size_text(self) -> str:
        """Return the staged size in decimal units."""
        return human_size(self.total_size)

    @property
    def more(self) -> int:
        """Return how many staged files the page leaves out."""
        return self.file_count - len(self.files)


def external_url(extras: dict[str, Any]) -> str | None:
    """Return where else the catalogue says the data can be had (a safe http(s) link), if anywhere."""
    return safe_url(extras.get("downloadLink"))


def section(status: DatasetStatus, key: str, external: str | None, base_url: str) -> Downloads:
    """Return the download section of a dataset of this status."""
    if status.state != STAGED:
        return frozen.filled(Downloads, _NOT_STAGED, state=status.state, external_url=external)
    # file_path's prefix quoted once per dataset, not once per file (a staged page's links were a sixth of it).
    folder = base_url + file_path(key, "")
    links = tuple(
        frozen.filled(
            FileLink,
            {},
            path=f.path,
            url=folder + in_path(f.path),  # in_path leaves a plain path as it is, unquoted
            size=f.size,
            size_text=human_size(f.size),
            sha256=f.sha256,
            media_type=media_type(f.path),
        )
        for f in sorted(status.files, key=_BY_PATH)
    )
    return frozen.filled(
        Downloads,
        {},
        state=STAGED,
        files=links[:FILES_SHOWN],
        file_count=len(links),
        total_size=status.total_size,
        zip_url=base_url + zip_path(key),
        listing_url=base_url + listing_path(key),
        checksums_url=base_url + checksums_path(key),
        external_url=external,
        staged=status.staged,
        all_files=links,
    )


_BY_PATH = attrgetter("path")
# What Downloads(state, external_url=...) holds besides those two: the defaults of its other fields.
_NOT_STAGED = frozen.defaults(Downloads) | {"all_files": ()}


_HTML_SPECIAL = re.compile("[&<>\"']")  # what escape() changes


def _escaper(dl: Downloads, size: str) -> Callable[[Any], str]:
    """Return escape, or str when none of the section's values holds a character escape() changes (nearly always)."""
    # escape() is two Python calls a value, 28 for a page of five files; str() of a str is that str, in C.
    values = [v for f in dl.files for v in (f.url, f.media_type, f.path, f.size_text, f.sha256)]
    values += [size, dl.zip_url or "", dl.checksums_url or "", dl.listing_url or ""]
    return escape if _HTML_SPECIAL.search("".join(values)) else str


def _plural(count: int) -> str:
    return "s" if count != 1 else ""


def staged_section(dl: Downloads) -> str:
    """Return the built-in templates/landing/downloads.html's section of a staged dataset, byte for byte."""
    # Written in Python for pages not cached: Jinja's render was a third of a staged page's cost.
    size = dl.total_size_text
    e = _escaper(dl, size)
    rows = "".join(
        [
            f'\n      <tr>\n        <td class="name"><a href="{e(f.url)}" type="{e(f.media_type)}" download>'
            f'{e(f.path)}</a></td>\n        <td class="size">{e(f.size_text)}</td>\n        <td class="sha">'
            f'<span class="visually-hidden">SHA-256 </span>{e(f.sha256)}</td>\n      </tr>'
            for f in dl.files
        ]
    )
    more = dl.more
    tail = (
        f'\n  <p class="more">{thousands(more)} more file{_plural(more)}: see '
        f'<a href="{e(dl.listing_url)}">the full file listing</a>.</p>'
        if more
        else ""
    )
    return (
        '\n<section id="files" aria-labelledby="sec-files">\n  <h2 id="sec-files">Files</h2>\n'
        f'  <div class="download-head">\n    <span class="summary">{thousands(dl.file_count)} '
        f"file{_plural(dl.file_count)} · {e(size)}</span>\n"
        f'    <a class="button" href="{e(dl.zip_url)}" type="application/zip">Download all (ZIP)</a>\n'
        f'    <a class="button secondary" href="{e(dl.checksums_url)}" type="text/plain">SHA256SUMS</a>\n'
        "  </div>\n"
        '  <table class="files">\n    <caption class="visually-hidden">Files of this dataset with their sizes and '
        "SHA-256 checksums</caption>\n"
        '    <thead><tr><th scope="col">Name</th><th scope="col" class="size">Size</th><th scope="col">SHA-256</th>'
        f"</tr></thead>\n    <tbody>{rows}\n    </tbody>\n  </table>{tail}\n</section>"
    )
