"""Export and import a whole store as JSON Lines: records, payloads, tombstones and datestamps, streamed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .base import Repository, json_text
from .entries import StoredRecord
from .schema import SCHEMA_VERSION

FORMAT = "dmzpub-export"
FORMAT_VERSION = 1
PAGE = 500


class BadExport(ValueError):
    """A line of an export file cannot be imported; the message names the line."""


@dataclass
class ImportReport:
    """What an import wrote."""

    records: int = 0
    tombstones: int = 0
    header: dict[str, Any] = field(default_factory=dict)


def _record_line(record: StoredRecord) -> str:
    return json_text(
        {
            "key": record.key,
            "doi": record.doi,
            "datestamp": record.datestamp,
            "created": record.created,
            "deleted": record.deleted,
            "reason": record.reason,
            "contentHash": record.content_hash,
            "sets": list(record.sets),
            "metadata": record.metadata,
            "extras": record.extras,
            "payload": record.payload,
            "rendered": record.rendered,
        }
    )


def export_lines(repo: Repository, store_kind: str, now: str) -> Iterator[str]:
    """Yield a header line, then one line per record or tombstone in key order (page by page)."""
    header = {"format": FORMAT, "version": FORMAT_VERSION, "schema": SCHEMA_VERSION, "store": store_kind, "at": now}
    yield json.dumps(header) + "\n"
    after = None
    while page := repo.list_keys(after, PAGE):
        for summary in page:
            record = repo.get(summary.key)
            if record is not None:  # withdrawn and purged between the two reads: nothing to keep
                yield _record_line(record) + "\n"
        after = page[-1].key


def _parse(number: int, line: str) -> StoredRecord:
    try:
        item = json.loads(line)
        return StoredRecord(
            key=item["key"],
            doi=item["doi"],
            datestamp=item["datestamp"],
            created=item["created"],
            deleted=bool(item["deleted"]),
            content_hash=item["contentHash"],
            sets=tuple(item["sets"]),
            reason=item.get("reason"),
            metadata=item["metadata"],
            extras=item["extras"],
            payload=item["payload"],
            rendered=dict(item.get("rendered") or {}),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise BadExport(f"line {number}: not a dmzpub export record ({type(exc).__name__}: {exc})") from None


def _header(line: str) -> dict[str, Any]:
    try:
        header = json.loads(line)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BadExport("line 1: not a dmzpub export (no dmzpub-export header)")
    if header.get("version") != FORMAT_VERSION:
        raise BadExport(f"line 1: export format version {header.get('version')} is not {FORMAT_VERSION}")
    if not isinstance(header.get("schema"), int) or header["schema"] > SCHEMA_VERSION:
        raise BadExport(f"line 1: made by a newer dmzpub (schema {header.get('schema')}); import it with that release")
    return header


def import_lines(repo: Repository, lines: Iterable[str], search_of: Callable[[StoredRecord], str]) -> ImportReport:
    """Write every record of an export into the store as it was; return the counts."""
    report = ImportReport()
    batch: list[tuple[StoredRecord, str]] = []
    for number, line in enumerate(lines, start=1):
        if number == 1:
            report.header = _header(line)
            continue
        if not line.strip():
            continue
        record = _parse(number, line)
        batch.append((record, search_of(record)))
        report.tombstones += record.deleted
        report.records += not record.deleted
        if len(batch) >= PAGE:
            repo.restore(batch)
            batch = []
    if not report.header:
        raise BadExport("the file is empty: not a dmzpub export")
    if batch:
        repo.restore(batch)
    return report
