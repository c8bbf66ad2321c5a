"""The DMZ write path: normalise pushed documents, render every format once, write them to the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from . import frozen, thumbnail
from .crosswalks import RenderContext, render_all
from .page_parts import PAGE_PARTS, PartsRenderer
from .record import PublishedRecord
from .scicat import from_scicat
from .sets import DEFAULT_SET_RULES, derive_sets
from .store import Entry, Repository, Rerendered, StoredRecord, WriteResult
from .text import fold


def _probe(record: PublishedRecord, sequence: int | None) -> Entry:
    """Return the entry put_unchanged reads (key, hash, sequence; the thumbnail, which a store may heal): no
    sets, no search text, nothing rendered, for they are made only for what is written."""
    # Sets and search text were ~7 us of an unchanged re-PUT's ~170 (in process); Entry's frozen __init__ as much
    # as the rest of the probe (tests/test_put_unchanged.py holds the filled entry equal).
    return frozen.filled(Entry, _ENTRY_DEFAULTS, **_held(record), rendered={}, sequence=sequence)


def _held(record: PublishedRecord) -> dict[str, object]:
    """Return the fields of a record's entry that a probe and a written entry hold alike."""
    return {
        "key": record.key,
        "doi": record.doi,
        "content_hash": record.content_hash,
        "metadata": record.metadata,
        "extras": record.extras,
        "payload": record.payload,
        "status": record.status,
        "thumbnail": record.image or thumbnail.image(record.extras, record.payload),
    }


_ENTRY_DEFAULTS = frozen.defaults(Entry)


def search_text(record: PublishedRecord) -> str:
    """Return the text the landing index searches: DOI, title, creators and keywords, folded."""
    words = [record.doi, record.title, *record.creator_names]
    words += [s.get("subject", "") for s in record.metadata.get("subjects", [])]
    return fold(" ".join(words))


@dataclass(frozen=True)
class RecordWriter:
    """Write records into the DMZ store (not the intranet publisher): the store, how to render, which set rules."""

    store: Repository
    context: RenderContext = field(default_factory=RenderContext)
    set_rules: Sequence[str] = DEFAULT_SET_RULES
    page_parts: PartsRenderer | None = None  # the landing page's write-time parts (wired in by the app)

    def entry(self, record: PublishedRecord) -> Entry:
        """Return the store entry of a record, with every format rendered now."""
        return self._entry(record, self.rendered(record))

    def rendered(self, record: PublishedRecord) -> dict[str, str]:
        """Return every format of a record rendered now, with the landing page's parts when wired in."""
        rendered = render_all(record, self.context)
        if self.page_parts is not None:
            rendered[PAGE_PARTS] = self.page_parts(record)
        return rendered

    def _entry(
        self, record: PublishedRecord, rendered: dict[str, str], sequence: int | None = None, probe: Entry | None = None
    ) -> Entry:
        """Return the entry written for a record (`probe`: its _probe, whose held fields it shares)."""
        sets, search = derive_sets(record, self.set_rules), search_text(record)
        return frozen.filled(
            Entry,
            _ENTRY_DEFAULTS if probe is None else vars(probe),
            **(_held(record) if probe is None else {}),
            rendered=rendered,
            sets=sets,
            search=search,
            sequence=sequence,
            plain=record.plain,
        )

    def publish(self, document: object, doi: str | None = None) -> WriteResult:
        """Normalise one SciCat document and upsert it; raise InvalidRecord on bad input."""
        return self.publish_many([from_scicat(document, doi)])[0]

    def publish_many(
        self, records: Sequence[PublishedRecord], sequences: Sequence[int | None] | None = None
    ) -> list[WriteResult]:
        """Upsert already-normalised records, each with its publisher sequence if given; render only what is written.

        A re-push of content the store holds (a sync's resend, a retried PUT) is answered before
        rendering, which is most of a write's cost; the rest go to the store in one call.
        """
        order = sequences if sequences is not None else [None] * len(records)
        probes = [_probe(record, n) for record, n in zip(records, order, strict=True)]
        settled = self.store.put_unchanged(probes)
        todo = [i for i, result in enumerate(settled) if result is None]
        entries = [self._entry(records[i], self.rendered(records[i]), order[i], probes[i]) for i in todo]
        written = iter(self.store.put(entries) if entries else [])
        return [result if result is not None else next(written) for result in settled]

    def reindex_many(self, keys: Sequence[str]) -> list[WriteResult]:
        """Re-normalise and re-render stored records, in two store writes for the lot; datestamps move only on change.

        Tombstones and unknown keys are left out of the results.
        """
        stored = self.live(keys)
        return self.write_reindexed(
            [self.reindexed(s.key, s.doi, s.payload, s.content_hash, s.payload_plain) for s in stored]
        )

    def live(self, keys: Sequence[str]) -> list[StoredRecord]:
        """Return the stored records of `keys` a reindex renders: tombstones and unknown keys left out."""
        return [record for record, _ in self.store.reindex_sources(keys)]

    def reindexed(
        self, key: str, doi: str, payload: object, stored_hash: str, plain: bool = False
    ) -> Entry | Rerendered:
        """Return what reindex writes for a stored record: a whole entry if its content moved, else its renderings.

        `plain`: the payload is known plain JSON (StoredRecord.payload_plain).
        """
        entry = self.entry(from_scicat(payload, doi, plain))
        if entry.content_hash != stored_hash:
            return entry
        return Rerendered(key, entry.rendered, entry.sets, entry.search)

    def write_reindexed(self, items: Sequence[Entry | Rerendered]) -> list[WriteResult]:
        """Write what `reindexed` returned: moved content as puts, the rest as re-renderings."""
        moved = [item for item in items if isinstance(item, Entry)]
        rendered = [item for item in items if isinstance(item, Rerendered)]
        # Batched: a write per record would make 100,000 records 100,000 commits.
        return (self.store.put(moved) if moved else []) + (
            self.store.update_rendered_many(rendered) if rendered else []
        )
