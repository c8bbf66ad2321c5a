"""The repository interface both stores implement, and the datestamp rules they share."""

from __future__ import annotations

import functools
import re
import time
import uuid
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from .. import compact_json
from ..errors import RecordNotFound, StoreUnavailable
from ..thumbnail import Thumbnail
from ..thumbnail import image as thumbnail_image
from .entries import Entry, ListedRecord, ListQuery, PageRead, Rerendered, StoredRecord, StoreStats, WriteResult
from .search_terms import search_terms as search_terms  # re-exported: the stores and landing import it from here

# A search of more distinct terms is refused: each term is one more index lookup and intersection.
MAX_SEARCH_TERMS = 8
# Seconds a public search may run before the store stops it (QueryTooCostly); set by the app.
SEARCH_BUDGET = 2.0

# An in-flight write older than this is taken to have died; it no longer holds back
# the harvest watermark.
INFLIGHT_TTL = 300.0
# Seconds a failed write keeps /healthz at 503 in the process that saw it, unless a write commits first.
WRITE_FAILURE_MEMORY = 60.0
# Seconds a committed write probe (/healthz) stands for the next ones in its process: probes every
# few milliseconds (a load balancer, a crawler) each made a commit. Failed probes are not remembered.
PROBE_INTERVAL = 1.0


def format_datestamp(epoch: float) -> str:
    """Return the UTC datestamp, seconds granularity, of a POSIX time."""
    return _second(int(epoch))


@functools.lru_cache(maxsize=16)
def _second(seconds: int) -> str:
    # A batch put stamps each record, mostly in the same second: formatted once. With json_text's isascii,
    # ~28 K fewer instructions a bulk-written record, of ~690 K (callgrind, 2,000 records in batches of 100).
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(value: Any, plain: bool | None = None) -> str:
    """Return compact JSON text that UTF-8 can store: lone surrogates stay as \\u escapes (`plain`: compact_json's)."""
    # A pushed payload (kept as received) may hold lone surrogates from JSON \\ud800 escapes;
    # raw, they cannot be encoded, so only they are escaped (they occur only inside strings).
    text = compact_json.dumps(value, plain=plain)
    if text.isascii():  # read from the string's header: no encoded copy of a record's ~5 kB of JSON (see _second)
        return text
    try:
        text.encode()  # much faster than the search below, and fails only when there is something to escape
    except UnicodeEncodeError:
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


def next_datestamp(stamp: str) -> str:
    """Return the datestamp one second after a seconds-granularity one (the first one "after" it)."""
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ") + timedelta(seconds=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def utcnow() -> float:
    """Return the current POSIX time (a seam for tests of clock behaviour)."""
    return time.time()


class Repository(ABC):
    """One small interface over the record store; both implementations pass one contract suite."""

    #: Seconds `browse` may run before the store stops it and raises QueryTooCostly.
    search_budget: float = SEARCH_BUDGET
    #: In-flight markers this process could not clear (the write and the clearing both failed).
    _orphans: frozenset[str] = frozenset()
    #: (when, why) of this process's last failed write, until a write commits.
    _write_failure: tuple[float, str] | None = None
    #: utcnow() of this process's last write probe that committed.
    _probed: float = float("-inf")
    #: Whether each write registers an in-flight marker; a store that waits for writes in
    #: _writes_settled instead needs none (markers others registered still hold back safe_now).
    _marks_writes: bool = True

    def put(self, entries: Sequence[Entry]) -> list[WriteResult]:
        """Upsert records by key; unchanged content keeps its datestamp."""
        with self._inflight():
            return self._put(entries)

    def put_unchanged(self, entries: Sequence[Entry]) -> list[WriteResult | None]:
        """Answer entries whose content is held as `put` would (unchanged, its sequence recorded; stale), `rendered`
        unread; None for the rest and a key met twice (nothing written). No datestamp moves: no in-flight marker."""
        counts = Counter(entry.key for entry in entries)
        once = [entry for entry in entries if counts[entry.key] == 1]
        try:
            settled = dict(zip([entry.key for entry in once], self._put_unchanged(once), strict=True))
        except StoreUnavailable as exc:
            self._note_write(exc)
            raise
        if any(result is not None for result in settled.values()):
            self._note_write(None)  # a write that went through, as put's
        return [settled.get(entry.key) for entry in entries]

    def withdraw(self, key: str, reason: str | None = None, sequence: int | None = None) -> WriteResult:
        """Replace a record by a tombstone stamped now; raise RecordNotFound if it never existed.

        With a sequence older than the DOI's last write, nothing changes (outcome "stale"); a
        withdrawal of a DOI not held still records its sequence, so an older PUT arriving later is stale.
        """
        with self._inflight():
            result = self._withdraw(key, reason, sequence)
        if result.outcome == "absent":
            raise RecordNotFound(key)
        return result

    def safe_now(self) -> str:
        """Return a datestamp every later-visible write is stamped at or after.

        A harvester that next asks `from=` this value cannot miss a write that was in flight
        while it read: such a write took its datestamp after registering as in flight, or (a
        store whose writes take their datestamps under a lock, see _writes_settled) after now.
        """
        with self._writes_settled():
            now = utcnow()
            oldest = self._oldest_inflight(now - INFLIGHT_TTL)
        return format_datestamp(min(now, oldest) if oldest is not None else now)

    def _writes_settled(self) -> AbstractContextManager[None]:
        """Hold off writes while safe_now reads the clock (a store whose writes register no marker)."""
        return nullcontext()

    def _inflight(self) -> _Inflight:
        return _Inflight(self, self._marks_writes)

    def check_writable(self) -> None:
        """Raise StoreUnavailable unless a small write commits and no recent write failed.

        The probe also clears the in-flight markers this process could not clear when a write
        failed, so a full disk that was freed does not hold back the harvest watermark. A probe
        that committed less than PROBE_INTERVAL ago answers for this one, unless markers wait.
        """
        now = utcnow()
        if self._orphans or abs(now - self._probed) >= PROBE_INTERVAL:  # abs: the clock may step back
            self._clear_orphans()
            self._probed = now
        failure = self._write_failure
        if failure and utcnow() - failure[0] < WRITE_FAILURE_MEMORY:
            raise StoreUnavailable(f"the last write failed {utcnow() - failure[0]:.0f} s ago: {failure[1]}")

    def _note_write(self, failure: StoreUnavailable | None) -> None:
        self._write_failure = (utcnow(), str(failure)) if failure else None

    def _clear_orphans(self) -> None:
        orphans = self._orphans
        self._probe_write(sorted(orphans))
        self._orphans = self._orphans - orphans

    @staticmethod
    def _stamp(previous: str | None = None) -> str:
        """Return now as a datestamp, never earlier than the record's previous one."""
        stamp = format_datestamp(utcnow())
        return max(stamp, previous) if previous else stamp

    @abstractmethod
    def _put(self, entries: Sequence[Entry]) -> list[WriteResult]: ...

    @abstractmethod
    def _put_unchanged(self, entries: Sequence[Entry]) -> list[WriteResult | None]:
        """put_unchanged of entries of distinct keys."""

    @abstractmethod
    def _withdraw(self, key: str, reason: str | None, sequence: int | None) -> WriteResult:
        """Withdraw; outcome "absent" when the key was never held (its sequence recorded all the same)."""

    @abstractmethod
    def _register_inflight(self, token: str, started: float) -> None: ...

    @abstractmethod
    def _clear_inflight(self, token: str) -> None: ...

    @abstractmethod
    def _probe_write(self, orphans: Sequence[str]) -> None:
        """Commit a small write (and delete the in-flight markers named); raise StoreUnavailable if it fails."""

    @abstractmethod
    def _oldest_inflight(self, newer_than: float) -> float | None: ...

    @abstractmethod
    def get(self, key: str, formats: Sequence[str] | None = None) -> StoredRecord | None:
        """Return the record or tombstone with its rendered formats (all, or those named)."""

    def rendered_part(self, key: str, name: str) -> str | None:
        """Return one rendered part of a live record (e.g. its page parts), reading nothing else; None if absent."""
        found = self.get(key, formats=[name])
        return found.rendered.get(name) if found is not None else None

    def summary_with_part(self, key: str, name: str) -> StoredRecord | None:
        """Return the summary, with one rendered part of a live record in `rendered` if it has one (a page's read)."""
        found = self.summary(key)
        if found is None or found.deleted:
            return found
        text = self.rendered_part(key, name)
        return found if text is None else replace(found, rendered={name: text})

    def page_read(self, key: str, name: str) -> PageRead:
        """Return generation(), then the summary and its part `name` (None if absent): what a landing page not
        cached reads.

        A store that can reads them at once (SQLite: one statement, one snapshot) and may give the part as
        its UTF-8 bytes: a page is put together in bytes, and decoding the ~16 kB of parts only to encode
        them again cost more than the rest of the read. The generation never describes a later state than
        the summary (a write after it moves it again).
        """
        generation = self.generation()
        found = self.summary_with_part(key, name)
        return generation, found, None if found is None else found.rendered.get(name)

    @abstractmethod
    def list_records(
        self,
        query: ListQuery,
        after: tuple[str, str] | None,
        limit: int,
        metadata_prefix: str | None = None,
    ) -> list[StoredRecord]:
        """Return up to `limit` records after the (datestamp, key) position, in that order."""

    def list_page(
        self, query: ListQuery, after: tuple[str, str] | None, limit: int, metadata_prefix: str
    ) -> list[ListedRecord]:
        """Return the entries list_records would, as light tuples (a store may read them faster)."""
        return [
            ListedRecord(r.key, r.datestamp, r.deleted, r.sets, r.rendered.get(metadata_prefix))
            for r in self.list_records(query, after, limit, metadata_prefix)
        ]

    def count(self, query: ListQuery) -> int:
        """Return how many records and tombstones match the query.

        Without from/until the answer is read from the counts each write maintains, whatever the
        size of the store. With only `until` (a harvest's first page: until is its watermark,
        near now) the maintained count less the few records stamped after it. With `from` the
        datestamp index is counted over the range (incremental harvests ask for recent ranges).
        """
        if query.from_ is None:
            whole = self._maintained_count(query.set_spec, query.statuses)
            if query.until is None:
                return whole
            try:
                later = next_datestamp(query.until)
            except ValueError:  # not a seconds datestamp: count the range itself
                return self._scan_count(query)
            return whole - self._scan_count(replace(query, from_=later, until=None))
        return self._scan_count(query)

    @abstractmethod
    def _scan_count(self, query: ListQuery) -> int:
        """Count the records and tombstones matching the query by walking an index."""

    @abstractmethod
    def _maintained_count(self, set_spec: str | None, statuses: tuple[str, ...] | None) -> int:
        """Return the maintained count of records of these statuses (None: any) in the set (None: any)."""

    @abstractmethod
    def generation(self) -> int:
        """Return the store's write generation: it changes in the transaction of every record write."""

    @abstractmethod
    def rebuild_counts(self) -> None:
        """Recount every (status, set) from the records (a migration step; exact again after any drift)."""

    @abstractmethod
    def upgrade_layout(self) -> None:
        """Bring a store's tables, indexes and triggers to schema version 4 (a migration step)."""

    @abstractmethod
    def list_keys(self, after: str | None, limit: int) -> list[StoredRecord]:
        """Return record summaries (no metadata) after `after`, in key order."""

    @abstractmethod
    def reindex_sources(self, keys: Sequence[str]) -> list[tuple[StoredRecord, str]]:
        """Return (record, search text) of the live records among `keys`, in their order, as a reindex reads them.

        Each record has its payload, sets, content hash and every rendered format; metadata and
        extras are not read (a reindex renders from the payload). Tombstones and unknown keys are left out.
        """

    @abstractmethod
    def earliest_datestamp(self) -> str | None:
        """Return the smallest datestamp in the store, or None when it is empty."""

    @abstractmethod
    def set_specs(self) -> list[str]:
        """Return every setSpec some record belongs to, sorted."""

    def update_rendered(
        self, key: str, rendered: dict[str, str], sets: Sequence[str], search: str | None = None
    ) -> WriteResult:
        """Store re-rendered formats, sets and search text; bump the datestamp when formats or sets changed.

        The search text is not disseminated, so a new one alone leaves the datestamp.
        """
        with self._inflight():
            return self._update_rendered(key, rendered, tuple(sets), search)

    @abstractmethod
    def _update_rendered(
        self, key: str, rendered: dict[str, str], sets: tuple[str, ...], search: str | None
    ) -> WriteResult: ...

    def update_rendered_many(self, items: Sequence[Rerendered]) -> list[WriteResult]:
        """Store many records' re-rendered formats as `update_rendered` does, in one write where the store can."""
        with self._inflight():
            return self._update_rendered_many(items)

    def _update_rendered_many(self, items: Sequence[Rerendered]) -> list[WriteResult]:
        return [self._update_rendered(i.key, i.rendered, tuple(i.sets), i.search) for i in items]

    @abstractmethod
    def stats(self) -> StoreStats:
        """Return how many records are published and withdrawn, and the newest datestamp."""

    @abstractmethod
    def ping(self) -> None:
        """Raise StoreUnavailable unless the store answers."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    @abstractmethod
    def after_fork(self) -> None:
        """Open this copy's own connections in a forked child process; the parent's are never used there."""

    @abstractmethod
    def browse(self, text: str | None, before: tuple[str, str] | None, limit: int) -> list[StoredRecord]:
        """Return up to `limit` live records matching `text`, newest first, after a (created, key) position.

        Every whitespace-separated term of `text` must match the record's search text (DOI,
        title, creators, keywords) at a word start, its words in sequence, the last one as a
        prefix ("neutron scat", "10.1234/abc-0"). Text without letters or digits matches all.
        Records come with metadata and extras, without payload or rendered formats.
        """

    @abstractmethod
    def summary(self, key: str) -> StoredRecord | None:
        """Return the record's or tombstone's summary (datestamp, hash, deleted, ...), no metadata."""

    @abstractmethod
    def thumbnail(self, key: str) -> Thumbnail | None:
        """Return the record's thumbnail as decoded at write, or None (none kept, or withdrawn)."""

    @abstractmethod
    def save_thumbnail(self, key: str, image: Thumbnail | None) -> None:
        """Keep (or, with None, drop) a record's decoded thumbnail outside a record write (migrations)."""

    # backup, restore and schema version (see catalogue_core.store.transfer and .schema) -------

    @abstractmethod
    def restore(self, records: Sequence[tuple[StoredRecord, str]]) -> None:
        """Write (record, search text) pairs exactly as given: datestamps, tombstones, rendered formats kept."""

    @abstractmethod
    def schema_version(self) -> int | None:
        """Return the schema version stamped in the store, or None when none was ever stamped."""

    @abstractmethod
    def set_schema_version(self, version: int) -> None:
        """Stamp the store with a schema version."""


def distinct_runs(entries: Sequence[Entry]) -> Iterator[Sequence[Entry]]:
    """Split a batch into runs of distinct keys: a store may write a run at once, as one put after another would."""
    # A key met again must see the write before it: it starts a new run, read after that write.
    start, keys = 0, set[str]()
    for i, entry in enumerate(entries):
        if entry.key in keys:
            yield entries[start:i]
            start, keys = i, set()
        keys.add(entry.key)
    if start < len(entries):
        yield entries[start:]


def restored_thumbnail(record: StoredRecord) -> Thumbnail | None:
    """Return the decoded thumbnail an imported record is served with: decoded again from its payload."""
    return None if record.deleted else thumbnail_image(record.extras, record.payload)


def restored_status(record: StoredRecord) -> str:
    """Return the SciCat status an imported record is harvested by: its extras', as for stores from before statuses."""
    return str(record.extras.get("status") or "public")


class _Inflight:
    """Register a write as in flight for the harvest watermark (if it must); clear it afterwards."""

    def __init__(self, repo: Repository, mark: bool = True) -> None:
        self.repo = repo
        self.mark = mark
        self.token = uuid.uuid4().hex if mark else ""  # os.urandom per write, only for a store that marks

    def __enter__(self) -> None:
        try:
            if self.repo._orphans:
                self.repo._clear_orphans()
            if self.mark:
                self.repo._register_inflight(self.token, utcnow())
        except StoreUnavailable as exc:
            self.repo._note_write(exc)
            raise

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        if kind is None or isinstance(exc, StoreUnavailable):
            self.repo._note_write(exc if isinstance(exc, StoreUnavailable) else None)
        if not self.mark:
            return
        try:
            self.repo._clear_inflight(self.token)
        except StoreUnavailable:
            if kind is None:
                raise
            # The write failed already (a full disk fails both): its error is the one to report.
            # The next write probe (/healthz) clears the marker; at worst it stops holding back
            # the watermark after INFLIGHT_TTL.
            self.repo._orphans = self.repo._orphans | {self.token}
