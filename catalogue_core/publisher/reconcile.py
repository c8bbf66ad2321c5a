"""Compare what the DMZ holds with the catalogue and repair every difference in the catalogue's favour."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..progress import Progress
from .client import Listed, PushClient
from .datasets import dataset_pids
from .outbox import Intent, Outbox
from .source import SciCatSource
from .sync import PRIVATE, Action, Hooks, SourceRecord, Walk, check, put, withdrawal


@dataclass
class ReconcileReport:
    """What reconcile compared and what it queued to repair."""

    api: str = ""
    on_dmz: int = 0
    in_source: int = 0
    matching: int = 0
    actions: list[Action] = field(default_factory=list)
    unrepairable: list[tuple[str, str]] = field(default_factory=list)


def _compare(record: SourceRecord, held: Listed | None) -> str | None:
    """Return why the DMZ's copy must be replaced by the record, or None when it matches."""
    if held is None:
        return "missing on the DMZ"
    if held.deleted:
        return "withdrawn on the DMZ but public in the catalogue"
    if held.content_hash != record.content_hash:
        return "differs on the DMZ"
    return None


def reconcile(
    source: SciCatSource,
    client: PushClient,
    outbox: Outbox,
    dry_run: bool = False,
    progress: Progress | None = None,
    hooks: Hooks | None = None,
) -> ReconcileReport:
    """Queue the repairs that make the DMZ hold exactly the catalogue's published records.

    Deliver the outbox first: entries still queued would show up here as differences.
    """
    progress = progress or Progress()
    report = ReconcileReport()
    progress.stage("reading the DMZ")
    dmz: dict[str, Listed] = {}
    for listed in client.listing():
        dmz[listed.key] = listed
        progress.advance()
    progress.close()
    report.on_dmz = sum(not listed.deleted for listed in dmz.values())
    walk = Walk(source, progress)
    intents: list[Intent] = []
    remembered: list[tuple[str, str, str | None, str | None]] = []

    def repair(record: SourceRecord) -> None:
        # Always normalised afresh: reconcile is the deep check, it trusts no remembered hash.
        record = check(record)
        if record.kind == "invalid":
            report.unrepairable.append((record.doi, record.error))
            return
        report.in_source += 1
        if hooks is not None and not dry_run:
            hooks.published(record.key, record.doi, dataset_pids(record.document))
        why = _compare(record, dmz.get(record.key))
        if why is None:
            report.matching += 1
            remembered.append((record.key, record.doi, record.content_hash, record.source_hash))
        else:
            report.actions.append(Action("update" if record.key in dmz else "publish", record.doi, why))
            intents.append(put(record))

    for records in walk.pages():
        for record in records:
            if record.kind != "private":
                repair(record)
    report.api = source.version
    live = [(key, held.doi) for key, held in dmz.items() if not held.deleted]
    for key, doi, gone in walk.gone(live):
        if gone is not None and gone.kind != "private":
            repair(gone)
            continue
        reason = PRIVATE if gone is not None else "not published in the catalogue"
        report.actions.append(Action("withdraw", doi, reason))
        intents.append(withdrawal(key, doi, reason))
        if hooks is not None and not dry_run:
            hooks.withdrawn(key, doi)
    if not dry_run:
        # What matches is remembered as sent, so the next sync does not push it again.
        outbox.remember(remembered)
        outbox.enqueue(intents)
    return report
