"""What a store writes and gives back: entries, re-renderings, stored and listed records, write results, queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..thumbnail import Thumbnail


@dataclass(frozen=True)
class Entry:
    """A record as the store writes it: the canonical parts plus what was rendered from them."""

    key: str
    doi: str
    content_hash: str
    metadata: dict[str, Any]
    extras: dict[str, Any]
    payload: Any
    rendered: dict[str, str]
    sets: tuple[str, ...] = ()
    search: str = ""
    status: str = ""  # SciCat's status of the record; harvests may list only some (ListQuery.statuses)
    # The publisher's per-DOI order (X-Dmzpub-Sequence): a write older than the DOI's last is "stale".
    sequence: int | None = None
    # Decoded at write and kept apart from the record (never in list rows): the thumbnail route serves it.
    thumbnail: Thumbnail | None = None
    # True when metadata, extras and payload are known plain JSON (compact_json.is_plain): their texts are
    # then written without walking them again; False walks each, as a value of unknown origin needs.
    plain: bool = False


@dataclass(frozen=True)
class Rerendered:
    """A stored record's formats, sets and search text rendered anew (by `dmzpub reindex`)."""

    key: str
    rendered: dict[str, str]
    sets: tuple[str, ...]
    search: str | None = None


@dataclass(frozen=True)
class StoredRecord:
    """A record (or a tombstone) as read back from the store."""

    key: str
    doi: str
    datestamp: str
    created: str
    deleted: bool
    content_hash: str
    sets: tuple[str, ...] = ()
    reason: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    payload: Any = None
    rendered: dict[str, str] = field(default_factory=dict)
    payload_plain: bool = False  # the payload is known plain JSON (compact_json.is_plain), told by its parse


# What a landing page not cached reads (Repository.page_read): the generation, the summary, and one of its
# parts as text or as its UTF-8 bytes.
PageRead = tuple[int, StoredRecord | None, str | bytes | None]


class ListedRecord(NamedTuple):
    """One entry of a list page: what a header and its metadata need, read without building a StoredRecord."""

    key: str
    datestamp: str
    deleted: bool
    sets: tuple[str, ...]
    xml: str | None  # the record in the asked format; None for tombstones and records without it


@dataclass(frozen=True)
class WriteResult:
    """What one write did: created, updated, unchanged, withdrawn or stale (refused), and the datestamp now."""

    key: str
    outcome: str
    datestamp: str


@dataclass(frozen=True)
class ListQuery:
    """Selective-harvest filters; bounds are inclusive datestamps."""

    from_: str | None = None
    until: str | None = None
    set_spec: str | None = None
    statuses: tuple[str, ...] | None = None  # only records with one of these statuses; None: any


@dataclass(frozen=True)
class StoreStats:
    """Counts for operators: live records, tombstones, and the newest datestamp."""

    published: int
    withdrawn: int
    latest_datestamp: str | None
