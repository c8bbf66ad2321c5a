"""A record page in parts: what changes only with the record is rendered at write time, the rest per request."""

from __future__ import annotations

import hashlib
import re
import sys
import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, g, render_template, request, url_for
from flask.globals import _cv_app, _cv_request
from markupsafe import Markup, escape

from catalogue_core import frozen
from catalogue_core.record import PublishedRecord
from catalogue_core.store import StoredRecord
from download_cache.state import STAGED

from . import citation, jsonld, schemaorg, signposting
from .blueprint import asset_url
from .brand import Brand, brand, brand_of
from .context import base_url, frames, section_cache, state_of
from .downloads import Downloads, external_url, staged_section
from .exports import EXPORTS
from .head import head_tags, html_escape, ld_script, record_head, tojson
from .live_json import distribution_member, plain_json
from .main import esc, index_url, record_main
from .page import RecordPage
from .parts_format import FRAME_PARTS, Parts, PartValues, dumps_values, utf8
from .release import versions
from .sections import record_sections

# A '<' never comes out of escaped record text nor out of htmlsafe JSON: record data cannot forge a slot.
SLOT = "<!--dmzpub:{}-->"
# JSON-LD members that change without a push; at write time each holds a sentinel, then a slot.
LIVE_MEMBERS = ("contentSize", "distribution", "dateModified")
SENTINELS = {name: f"<dmzpub:{name}>" for name in LIVE_MEMBERS}
# A page put together from parts: body (UTF-8, as sent), Link header, and what identifies it besides the
# stored parts (_splice).
Assembled = tuple[bytes, str, str]
# What the stored parts are made from besides the record: a change to any of these templates or
# modules, or to the release (landing.release), changes the fingerprint, and stale parts are then
# rendered per request until `dmzpub reindex`.
PART_TEMPLATES = ("landing/record_main.html", "landing/meta.html")
DOWNLOADS = "landing/downloads.html"  # the live download section's template
HEAD_SECTIONS = ("issued", "publisher", "resource_type", "subjects", "licences")  # what meta.html gives record_head
_TEMPLATE_CONTEXT = "_dmzpub_parts_memo"  # in flask.g: (the request, its context processors' values)
PART_MODULES = (
    *("citation", "exports", "filters", "head", "main", "model"),
    *("jsonld", "live_json", "page", "parts", "parts_format", "schemaorg", "sections", "signposting"),
)


def _member(name: str, value: Any) -> str:
    # Member names are plain ASCII identifiers: their JSON is the name in quotes.
    return f', "{name}": {tojson(value)}'


# Datestamps and sizes ("2025-06-03T12:00:00Z", "12.3 kB"): JSON and htmlsafe JSON leave these characters as they are.
_PLAIN = re.compile(r"[0-9A-Za-z :.+-]*")


def _live_member(name: str, value: Any) -> str:
    """Return a live member as _member does; plain strings without the JSON encoder (once per page served)."""
    if isinstance(value, str) and _PLAIN.fullmatch(value):
        return f', "{name}": "{value}"'
    return _member(name, value)


def _request_memo() -> dict[str, Any]:
    """Return, once per request, the context processors' values (only a facility's own part templates need them)."""
    # A bulk push renders two templates per record in one request: render_template would run every
    # context processor and send two signals per call (nothing here listens), ~15 % of a record's parts.
    here = request._get_current_object()  # type: ignore[attr-defined]
    memo = g.get(_TEMPLATE_CONTEXT)
    if memo is None or memo[0] is not here:
        base: dict[str, Any] = {}
        current_app.update_template_context(base)
        memo = (here, base)
        setattr(g, _TEMPLATE_CONTEXT, memo)
    return memo[1]


def _distribution(downloads: Downloads | None) -> str:
    value = schemaorg.distribution(downloads)
    return _live_member("distribution", value) if value else ""


def _plain_json() -> bool:
    """Tell (once per app) whether JSON-LD may be written without Flask's JSON (live_json, jsonld)."""
    memo = frames()
    if (found := memo.get("plain json")) is None:
        found = memo["plain json"] = plain_json(current_app)
    return bool(found)


def _members() -> dict[str, str]:
    """Return the JSON-LD members holding sentinels, as the head writes them (the same for every record)."""
    # Once per app, not per request: a sequential PUT is one record per request (~0.2 ms of it).
    memo = frames()
    if (found := memo.get("sentinel members")) is None:
        found = memo["sentinel members"] = {name: _member(name, sentinel) for name, sentinel in SENTINELS.items()}
    return found


_SLOT_TEXTS = {name: SLOT.format(name) for name in LIVE_MEMBERS}
# The body's slots, the same for every record (record_main and a facility's template only read them).
_MAIN_SLOTS = {"downloads": Markup(SLOT.format("downloads")), "updated": Markup(SLOT.format("updated"))}


def _render(name: str, base: dict[str, Any], **context: Any) -> str:
    """Return a template rendered as flask.render_template does, with the context processors' values given."""
    return current_app.jinja_env.get_template(name).render({**base, **context})


def _built_in(name: str) -> bool:
    """Return whether the app renders its own copy of a part template, not a facility's (DMZPUB_TEMPLATE_DIR)."""
    key = ("built-in", name)
    memo = frames()
    if (found := memo.get(key)) is None:
        app = current_app
        used = app.jinja_env.get_template(name).filename
        own = Path(app.root_path, app.template_folder or "", name)
        found = memo[key] = used is not None and Path(used).resolve() == own.resolve()
    return bool(found)


@dataclass(frozen=True)
class _Fixed:
    """What every record's parts take from the app and script root: read once, not per record."""

    fingerprint: str
    meta_built_in: bool
    main_built_in: bool
    plain_json: bool
    orcid_img: str  # escaped
    index_url: str  # escaped


def _fixed() -> _Fixed:
    # A dozen context-local look-ups (frames, request, current_app) per record were ~5 % of its parts.
    memo, root = frames(), request.script_root
    if (found := memo.get(("fixed", root))) is None:
        meta, main = _built_in("landing/meta.html"), _built_in("landing/record_main.html")
        found = _Fixed(fingerprint(), meta, main, _plain_json(), esc(asset_url("orcid.svg")), index_url())
        memo["fixed", root] = found
    return found


def render(page: RecordPage, fixed: _Fixed | None = None) -> Parts:
    """Return the record's parts; needs a request context (URLs carry its script root).

    `fixed`: what _fixed() returns in this context, when the caller kept it (the writer does).
    """
    return Parts(*_values(page, fixed or _fixed()))


def _values(page: RecordPage, fixed: _Fixed) -> PartValues:
    """Return the values of the record's Parts, in the order of its fields."""
    sections = record_sections(page)
    # The built-in templates only call record_head and record_main: calling those directly skips
    # building Jinja's context of every section and global twice per record (~15 % of the parts).
    if fixed.meta_built_in and fixed.plain_json:
        head = head_tags(page, EXPORTS, sections) + ld_script(
            jsonld.text(page, sections, _SLOT_TEXTS)
        )  # the JSON-LD without its dict
    else:
        dataset = schemaorg.dataset(page, live=SENTINELS, sections=sections)  # values gathered once per record
        if fixed.meta_built_in:
            head = str(record_head(page, dataset, EXPORTS, **{name: sections[name] for name in HEAD_SECTIONS}))
        else:
            context = {"page": page, "jsonld": dataset, "exports": EXPORTS, **sections}
            head = _render("landing/meta.html", _request_memo(), **context)
        for name, member in _members().items():
            head = head.replace(member, SLOT.format(name), 1)
    slots = _MAIN_SLOTS
    cite, bibtex = citation.page_citations(page, sections)
    if fixed.main_built_in:
        main = str(record_main(page, slots, cite, bibtex, EXPORTS, sections, (fixed.orcid_img, fixed.index_url)))
    else:
        context = {"page": page, "slots": slots, "citation": cite, "bibtex": bibtex, "exports": EXPORTS}
        main = _render("landing/record_main.html", _request_memo(), **context, **sections)
    links, external = signposting.static_links(page), external_url(page.record.extras)
    # The archive's size: schemaorg.archive_size's value, already read by the sections.
    return (
        fixed.fingerprint,
        html_escape(page.title),
        head,
        main,
        links,
        external,
        sections["publisher"],
        sections["size"],
    )


def fingerprint() -> str:
    """Return what the parts rendered in this request's context depend on besides the record."""
    key = _fingerprint_key(request.script_root)
    memo = frames()
    if (found := memo.get(key)) is None:
        env = current_app.jinja_env
        assert env.loader is not None
        sources = [env.loader.get_source(env, name)[0] for name in PART_TEMPLATES]
        modules = [Path(sys.modules[f"{__package__}.{name}"].__file__ or "").read_text() for name in PART_MODULES]
        inputs = [base_url(), request.script_root, asset_url("orcid.svg"), url_for("landing.index"), *sources, *modules]
        inputs.append(versions())  # an upgrade changes the parts' bytes with neither templates nor modules
        found = memo[key] = hashlib.sha256("\0".join(inputs).encode()).hexdigest()[:16]
    return str(found)


def _fingerprint_key(root: str) -> tuple[str, str]:
    return ("fingerprint", root)


def _frame_key(config: Mapping[str, Any], root: str, mark: Brand) -> Hashable:
    return ("frame", root, mark, config["DMZPUB_SITE_NAME"], config["DMZPUB_BASE_URL"])


def _section_key(downloads: Downloads | None, publisher: str, root: str, mark: Brand) -> Hashable:
    return (downloads, publisher, root, mark)


def _frame(mark: Brand) -> tuple[str, ...] | None:
    """Return the page around the parts (site header, footer), split at the parts; None if a template drops one."""
    key = _frame_key(current_app.config, request.script_root, mark)
    memo = frames()
    if key not in memo:
        text = render_template("landing/record.html", parts={n: Markup(SLOT.format(n)) for n in FRAME_PARTS})
        pieces = []
        for name in FRAME_PARTS:
            before, found, text = text.partition(SLOT.format(name))
            pieces.append(before)
            if not found:
                break
        memo[key] = (*pieces, text) if len(pieces) == len(FRAME_PARTS) and found else None
    frame: tuple[str, ...] | None = memo[key]
    return frame


def assemble(parts: Parts, downloads: Downloads | None, datestamp: str) -> Assembled | None:
    """Return the page's body, Link header and live identity (_splice), filling the slots; None without a frame."""
    mark = brand()  # once per page: the frame and the download section are both cached per brand
    frame = _frame(mark)
    if frame is None:
        return None
    section = _section(downloads, parts.publisher, mark)
    return _splice(parts, frame, section, downloads, datestamp, frames(), _plain_json())


def assemble_from_memos(
    app: Flask, root: str, parts: Parts, downloads: Downloads | None, datestamp: str
) -> Assembled | None:
    """Return what assemble returns, without a request context: None unless earlier pages left the frame and section."""
    # The fast route's page not yet cached: a request context (its URL matching above all) cost a quarter of it.
    state = state_of(app)
    memo = state.frames
    plain = memo.get("plain json")  # noted by the first page assembled in a request
    if parts.fingerprint != memo.get(_fingerprint_key(root)) or downloads is None or plain is None:
        return None  # stale parts (or not yet checked in this process): the view renders or re-renders them
    mark = brand_of(app.config, root)
    frame = state.frames.get(_frame_key(app.config, root, mark))
    if downloads.state != STAGED:
        section = state.sections.get(_section_key(downloads, parts.publisher, root, mark))
    elif state.frames.get(("built-in", DOWNLOADS)):
        # The built-in section, written in Python; a facility's own may read the request: render_template.
        section = staged_section(downloads)
    else:
        section = None
    if frame is None or section is None:
        return None
    if plain and _context_free(parts, downloads, datestamp):
        # No app context (~4 us of a page not cached): only the app's JSON (tojson) would need one.
        return _splice(parts, frame, section, downloads, datestamp, memo, True)
    with app.app_context():
        return _splice(parts, frame, section, downloads, datestamp, memo, bool(plain))


def _context_free(parts: Parts, downloads: Downloads, datestamp: str) -> bool:
    """Tell whether _splice writes every live member without the app's JSON (_live_member's plain strings)."""
    size = schemaorg.content_size(downloads, parts.archive_size)
    return _PLAIN.fullmatch(datestamp) is not None and (not size or _PLAIN.fullmatch(size) is not None)


def _splice(
    parts: Parts,
    frame: tuple[str, ...],
    section: str,
    downloads: Downloads | None,
    datestamp: str,
    memo: dict[Hashable, Any],
    plain: bool,
) -> Assembled:
    """Return the page's body and Link header: the frame around the parts, their slots filled with live values.

    And what identifies the answer besides the stored parts (which their fingerprint and the record's
    content hash identify): the frame's digest, every live value filled in and the Link header (views' ETag).
    `memo`: the app's frames memo; `plain`: _plain_json() (both given: a page not cached may have no app context).
    """
    size = schemaorg.content_size(downloads, parts.archive_size)
    # Empty members are left out, as schemaorg.dataset does; the distribution is written directly unless
    # a facility changed the app's JSON settings (live_json).
    members = {
        "contentSize": _live_member("contentSize", size) if size else "",
        "distribution": distribution_member(downloads) if plain else _distribution(downloads),
        "dateModified": _live_member("dateModified", datestamp),
    }
    updated = escape(datestamp[:10])
    head = _filled(parts.head, [(_SLOT_TEXTS[name], member) for name, member in members.items()])
    main = _filled(parts.main, [(_MAIN_SLOT_TEXTS[0], section), (_MAIN_SLOT_TEXTS[1], updated)])
    framed = _frame_bytes(frame, memo)
    body = b"".join([framed[0], utf8(parts.title), framed[1], *head, framed[2], *main, framed[3]])
    link = signposting.header(parts.links, downloads)
    live = "\0".join([parts.fingerprint, _frame_digest(frame, memo), *members.values(), section, updated, link])
    return body, link, live


_SLOT_START = SLOT.format("")[:-3]  # what every slot begins with
_SLOT_START_BYTES = _SLOT_START.encode()
_MAIN_SLOT_TEXTS = (SLOT.format("downloads"), SLOT.format("updated"))
_SLOT_BYTES = {slot: slot.encode() for slot in (*_SLOT_TEXTS.values(), *_MAIN_SLOT_TEXTS)}  # encoded once, not per page


def _filled(text: str | bytes, fills: list[tuple[str, str]]) -> list[Any]:
    """Return `text` with each slot's first occurrence replaced by its value, in turn, as UTF-8 pieces to join.

    The bytes of text.replace(slot, value, 1) for each fill in turn, then encoded: with the slots found in
    the UTF-8 text and the pieces between them joined once, a page not cached copies its ~15 kB of parts
    once, not once per slot (and encodes none of it when the store gave bytes).
    """
    data = utf8(text)  # a slot is ASCII: found in UTF-8 exactly where it is in the text
    for _, value in fills:  # a loop, not any() over a generator: a page not cached fills five slots
        if _SLOT_START in value:  # a value holding a slot: replace() in turn decides
            for slot, value in fills:
                data = data.replace(slot.encode(), value.encode(), 1)
            return [data]
    # Every slot's search starts at the first slot: HTML's many '>' slow a bytes search for a slot (each ends in one).
    first = data.find(_SLOT_START_BYTES)
    if first < 0:
        return [data]
    found = []
    for slot, value in fills:
        start = data.find(_SLOT_BYTES.get(slot) or slot.encode(), first)
        if start >= 0:
            found.append((start, len(slot), value))
    found.sort()
    view, at, pieces = memoryview(data), 0, []
    for start, size, value in found:
        pieces += [view[at:start], value.encode()]
        at = start + size
    pieces.append(view[at:])
    return pieces


def _frame_bytes(frame: tuple[str, ...], memo: dict[Hashable, Any]) -> tuple[bytes, ...]:
    """Return a page frame's pieces encoded, once per frame (the frames' memo keeps the same tuple)."""
    key = ("frame bytes", frame)
    if (found := memo.get(key)) is None:
        found = memo[key] = tuple(piece.encode() for piece in frame)
    framed: tuple[bytes, ...] = found
    return framed


def _frame_digest(frame: tuple[str, ...], memo: dict[Hashable, Any]) -> str:
    """Return the digest of a page frame, once per frame (the frames' memo keeps the same tuple)."""
    key = ("frame digest", frame)  # the tuple's strings cache their hashes: a cheap key
    if (found := memo.get(key)) is None:
        found = memo[key] = hashlib.sha256("\0".join(frame).encode()).hexdigest()
    return str(found)


def _section(downloads: Downloads | None, publisher: str, mark: Brand) -> str:
    """Return the download section; one not staged depends on few values and is rendered once per set of them."""
    if downloads is None or downloads.state == STAGED:
        # Noted for assemble_from_memos too, which writes the built-in one without a request.
        if _built_in(DOWNLOADS) and downloads is not None:
            return staged_section(downloads)
        return render_template(DOWNLOADS, downloads=downloads, publisher=publisher)
    key = _section_key(downloads, publisher, request.script_root, mark)
    cache = section_cache()
    if (text := cache.get(key)) is None:
        text = render_template(DOWNLOADS, downloads=downloads, publisher=publisher)
        cache.put(key, text)
    return str(text)


# The StoredRecord of a record being written: the fields a push does not know yet are empty. The
# content hash is never shown on a page; computing it costs a JSON dump and a hash per record.
_WRITTEN = {"datestamp": "", "created": "", "deleted": False, "content_hash": ""}
_STORED_DEFAULTS = frozen.defaults(StoredRecord)


def written_page(record: PublishedRecord, base: str) -> RecordPage:
    """Return RecordPage(StoredRecord(key, doi, "", "", False, "", metadata=..., extras=...), base) of a record."""
    # Filled, not made by their frozen __init__s (15 fields, ~6 us a record; tests/test_meta_writers.py holds
    # them equal).
    fields = {"key": record.key, "doi": record.doi, "metadata": record.metadata, "extras": record.extras}
    stored = frozen.filled(StoredRecord, _STORED_DEFAULTS, **_WRITTEN, **fields, rendered={})
    return frozen.filled(RecordPage, {}, record=stored, base_url=base, downloads=None)


def _app_only(fixed: _Fixed) -> bool:
    """Tell whether _values needs only an app context: every part template is the built-in one (no
    _request_memo) and JSON-LD is written without Flask's JSON."""
    return fixed.meta_built_in and fixed.main_built_in and fixed.plain_json


def writer(app: Flask) -> Callable[[PublishedRecord], str]:
    """Return the write-time renderer of the app's pages (catalogue_core.page_parts.PartsRenderer)."""
    # The page's own URLs carry the script root of the public base URL's path (a proxy's prefix).
    root_url = app.config["DMZPUB_BASE_URL"] + "/"
    root = urlsplit(root_url).path.rstrip("/")
    base = app.config["DMZPUB_BASE_URL"]  # context.base_url() of the app, read once

    def render_record(record: PublishedRecord) -> str:
        page = written_page(record, base)
        # The context variables behind has_request_context() and current_app read directly: the three
        # proxies' look-ups were ~0.8 us of every record written (~0.25 us so).
        here = _cv_request.get(None)
        if here is not None and _cv_app.get().app.config is app.config and here.request.script_root == root:
            return dumps_values(_values(page, _kept()))  # a push request: its context fits
        # Sync, reindex and the fast PUT route write outside requests: one context per thread, pushed again for
        # each record, keeps the request-wide memos (_request_memo); a new one per record cost ~0.8 ms.
        if (contexts := getattr(outside, "contexts", None)) is None:
            contexts = outside.contexts = (app.app_context(), app.test_request_context("/", base_url=root_url))
        if kept and _app_only(kept[0]):
            # The built-in parts read the app, never the request, once _kept() holds the URLs: the request
            # context's push and pop (URL matching, teardown, signals) were ~15 % of a reindexed record's parts.
            with contexts[0]:
                return dumps_values(_values(page, kept[0]))
        with contexts[0], contexts[1]:
            return dumps_values(_values(page, _kept()))

    def _kept() -> _Fixed:
        # Every record this writer renders has the same app and script root, hence the same _Fixed:
        # read once, not through the frames memo per record (context-local look-ups, ~3 % of the parts).
        if not kept:
            kept.append(_fixed())
        return kept[0]

    outside = threading.local()
    kept: list[_Fixed] = []
    return render_record
