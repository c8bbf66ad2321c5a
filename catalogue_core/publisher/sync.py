"""Sync SciCat to the DMZ: queue new and changed records, withdraw those gone upstream."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from ..compact_json import is_plain
from ..doi import fold_doi, normalize_doi
from ..errors import InvalidDOI, InvalidRecord
from ..progress import Progress
from ..record import canonical_json
from ..scicat import from_scicat
from ..store.base import json_text
from .datasets import dataset_pids
from .outbox import Intent, Outbox, Sent
from .read_ahead import read_ahead
from .source import SciCatSource, known_plain

# Entries of the first page queued at a time when a deliverer works alongside (a bulk batch): it has nothing
# to send until then, and a page of 500 took ~0.2 s to read, normalise and queue (bench/sync.py, ~4 % of it).
FIRST = 100
GONE = "deleted in the catalogue"
PRIVATE = "made private in the catalogue"


@dataclass(frozen=True)
class SourceRecord:
    """One upstream document: `private`, `unchecked` (as read), then `publishable` or `invalid`."""

    key: str
    doi: str
    document: dict[str, Any] = field(compare=False, repr=False)
    body: str = field(compare=False, repr=False)
    kind: str
    source_hash: str
    content_hash: str = ""
    error: str = ""
    plain: bool = field(default=False, compare=False, repr=False)  # compact_json.is_plain(document)


@dataclass(frozen=True)
class Action:
    """One change the publisher makes (or, in a dry run, would make) on the DMZ."""

    verb: str
    doi: str
    why: str


@dataclass
class SyncReport:
    """What a sync read and what it queued."""

    api: str = ""
    read: int = 0
    unchanged: int = 0
    private: int = 0
    unusable: int = 0
    invalid: list[tuple[str, str]] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)

    def count(self, verb: str) -> int:
        """Return how many actions have this verb."""
        return Counter(a.verb for a in self.actions)[verb]


def read(document: Any, plain: bool | None = None) -> SourceRecord | None:
    """Return the record of an upstream document as read (not normalised), or None without a DOI.

    `plain` is compact_json.is_plain(document) when the caller knows it (its page's parse told: PlainPage).
    """
    if not isinstance(document, dict):
        return None
    try:
        doi = normalize_doi(document.get("doi"))
    except InvalidDOI:
        return None
    # Compact, and written by orjson where that is byte for byte what `json` writes: the DMZ reads the same
    # document. A lone surrogate (a JSON "\ud800" escape) stays an escape: raw, the outbox and HTTP cannot carry it.
    if plain is None:  # one walk for the two texts here and the check's record, not one each
        plain = is_plain(document)
    body = json_text(document, plain)
    source_hash = hashlib.sha256(canonical_json(document, plain).encode("utf-8", "surrogatepass")).hexdigest()
    kind = "private" if document.get("status") == "private" else "unchecked"
    return SourceRecord(fold_doi(doi), doi, document, body, kind, source_hash, plain=plain)


def check(record: SourceRecord) -> SourceRecord:
    """Return the record normalised: publishable with its content hash, or invalid with the problems."""
    if record.kind != "unchecked":
        return record
    try:
        content_hash = from_scicat(record.document, plain=record.plain).content_hash
        # Made directly: dataclasses.replace looks the fields up by name each time (~3 us a record).
        return SourceRecord(
            record.key,
            record.doi,
            record.document,
            record.body,
            "publishable",
            record.source_hash,
            content_hash,
            plain=record.plain,
        )
    except InvalidRecord as exc:
        # Still sent: the DMZ gives the verdict, and the outbox parks it with that error.
        problems = "; ".join(f"{p.field}: {p.message}" for p in exc.problems)
        return replace(record, kind="invalid", content_hash="raw:" + record.source_hash, error=problems)


def put(record: SourceRecord) -> Intent:
    """Return the outbox entry publishing a checked record."""
    return Intent(
        "put",
        record.key,
        record.doi,
        body=record.body,
        content_hash=record.content_hash,
        source_hash=record.source_hash,
    )


def withdrawal(key: str, doi: str, reason: str) -> Intent:
    """Return the outbox entry withdrawing a DOI."""
    return Intent("withdraw", key, doi, reason=reason)


class Walk:
    """Read every upstream document once, page by page, noting which DOIs are still published."""

    def __init__(self, source: SciCatSource, progress: Progress) -> None:
        self.source, self.progress = source, progress
        self.seen: set[str] = set()
        self.unusable = 0

    def pages(self) -> Iterator[list[SourceRecord]]:
        """Yield pages of records as read (unchecked or private); a DOI listed twice is used once."""
        self.progress.stage(f"reading SciCat ({self.source.version})", self.source.count())
        # The next pages are fetched while this one is hashed and queued: SciCat's time and ours overlap.
        for page in read_ahead(self.source.pages()):
            records = []
            plain = known_plain(page)
            for document in page:
                record = read(document, plain)
                if record is None:
                    self.unusable += 1
                elif record.key not in self.seen:
                    if record.kind != "private":
                        self.seen.add(record.key)
                    records.append(record)
            self.progress.advance(len(page))
            yield records
        self.progress.close()

    def gone(self, published: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str, SourceRecord | None]]:
        """Yield (key, doi, record-now) for published DOIs the listing did not show.

        Each is looked up on its own first: skip/limit paging can miss a document when the
        collection changes during the read, and a missed document must not be withdrawn.
        """
        for key, doi in published:
            if key not in self.seen:
                document = self.source.lookup(doi)
                record = read(document) if document is not None else None
                if record is not None and record.kind != "private":
                    self.seen.add(record.key)
                yield key, doi, record


class Hooks(Protocol):
    """Who else wants to know which DOIs are published and withdrawn (the files follower)."""

    def published(self, key: str, doi: str, pids: Sequence[str]) -> None:
        """A DOI is published upstream with these dataset PIDs."""

    def withdrawn(self, key: str, doi: str) -> None:
        """A DOI is withdrawn."""


class Planner:
    """Decide per upstream record what to queue (publish, update, withdraw, nothing), page by page."""

    def __init__(
        self,
        outbox: Outbox,
        report: SyncReport,
        dry_run: bool = False,
        withdraw_private: bool = False,
        hooks: Hooks | None = None,
        queued: Callable[[], None] | None = None,
    ) -> None:
        self.outbox, self.report, self.dry_run = outbox, report, dry_run
        self.queued = queued  # told after each enqueue: a deliverer working alongside takes it from there
        self.starting = queued is not None  # the first page: see FIRST
        # Incremental reads see a record turn private; a full read finds it through `gone` instead.
        self.withdraw_private = withdraw_private
        self.hooks = hooks
        self.intents: list[Intent] = []
        self.remembered: list[tuple[str, str, str | None, str | None]] = []

    def page(self, records: Sequence[SourceRecord]) -> None:
        """Plan and queue one page of records (the first one FIRST entries at a time when delivered alongside)."""
        last = self.outbox.last_sent([r.key for r in records])
        for record in records:
            self.plan(record, last.get(record.key))
            if self.starting and len(self.intents) >= FIRST:
                self.commit()
        self.starting = False
        self.commit()

    def plan(self, record: SourceRecord, last: Sent | None) -> None:
        """Plan one record against what was last sent for its DOI."""
        report = self.report
        if record.kind == "private":
            report.private += 1
            if self.withdraw_private and last is not None and last.content_hash is not None:
                self.withdraw(record.key, record.doi, PRIVATE)
            return
        if last is not None and last.content_hash is not None and last.source_hash == record.source_hash:
            report.unchanged += 1  # the very document sent last time: no need to normalise it again
            self._published(record)
            return
        record = check(record)
        if last is not None and last.content_hash == record.content_hash:
            report.unchanged += 1
            self.remembered.append((record.key, record.doi, record.content_hash, record.source_hash))
            self._published(record)
            return
        if record.kind == "invalid":
            report.invalid.append((record.doi, record.error))
        else:
            self._published(record)
        if last is None:
            report.actions.append(Action("publish", record.doi, "new in the catalogue"))
        elif last.content_hash is None:
            report.actions.append(Action("publish", record.doi, "public again in the catalogue"))
        else:
            report.actions.append(Action("update", record.doi, "changed in the catalogue"))
        self.intents.append(put(record))

    def _published(self, record: SourceRecord) -> None:
        if self.hooks is not None and not self.dry_run:
            self.hooks.published(record.key, record.doi, dataset_pids(record.document))

    def withdraw(self, key: str, doi: str, reason: str) -> None:
        """Plan the withdrawal of a DOI."""
        self.report.actions.append(Action("withdraw", doi, reason))
        self.intents.append(withdrawal(key, doi, reason))
        if self.hooks is not None and not self.dry_run:
            self.hooks.withdrawn(key, doi)

    def commit(self) -> None:
        """Queue what was planned (nothing in a dry run) and remember unchanged records' new hashes."""
        intents, self.intents = self.intents, []
        remembered, self.remembered = self.remembered, []
        if self.dry_run:
            return
        if intents:
            self.outbox.enqueue(intents)
            if self.queued is not None:
                self.queued()
        if remembered:
            # The new document hash of an unchanged record: next time it takes the fast path.
            self.outbox.remember(remembered)


def sync(
    source: SciCatSource,
    outbox: Outbox,
    dry_run: bool = False,
    progress: Progress | None = None,
    hooks: Hooks | None = None,
    queued: Callable[[], None] | None = None,
) -> SyncReport:
    """Queue what changed upstream since the last sync (nothing in a dry run); call `queued` after each queueing."""
    report = SyncReport()
    walk = Walk(source, progress or Progress())
    planner = Planner(outbox, report, dry_run, hooks=hooks, queued=queued)
    for records in walk.pages():
        report.read += len(records)
        planner.page(records)
    report.api, report.unusable = source.version, walk.unusable
    for key, doi, record in walk.gone(outbox.published()):
        if record is not None and record.kind != "private":
            planner.plan(record, outbox.last_sent([key]).get(key))
            continue
        planner.withdraw(key, doi, PRIVATE if record is not None else GONE)
    planner.commit()
    return report
