"""A re-push of content the store holds is answered before rendering, as the full write would answer it."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

import pytest
from conftest import Pusher, v4_document

from catalogue_core import record_writer
from catalogue_core.errors import StoreUnavailable
from catalogue_core.record_writer import RecordWriter
from catalogue_core.scicat import from_scicat
from catalogue_core.store import Entry, Repository, base

DOI = "10.5555/again-1"


def _entry(repo: Repository, doi: str, title: str = "A dataset", sequence: int | None = None) -> Entry:
    entry = RecordWriter(repo).entry(from_scicat(v4_document(doi, title)))
    return dataclasses.replace(entry, sequence=sequence)


def _plain(entry: Entry) -> Entry:
    """The entry as RecordWriter hands it to put_unchanged: nothing rendered."""
    return dataclasses.replace(entry, rendered={})


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the records the write path renders (the real renderer still runs)."""
    seen: list[str] = []
    real: Callable[..., dict[str, str]] = record_writer.render_all

    def counting(record: Any, context: Any) -> dict[str, str]:
        seen.append(record.key)
        return real(record, context)

    monkeypatch.setattr(record_writer, "render_all", counting)
    return seen


def test_held_content_is_answered_unchanged_and_everything_else_is_left_to_put(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(base, "utcnow", lambda: 1_700_000_000.0)
    held, gone = _entry(repo, DOI), _entry(repo, "10.5555/again-2")
    [first, _] = repo.put([held, gone])
    repo.withdraw(gone.key)
    monkeypatch.setattr(base, "utcnow", lambda: 1_700_003_600.0)  # an hour later: the datestamp must not move
    answers = repo.put_unchanged([_plain(held), _plain(_entry(repo, "10.5555/new")), _plain(gone)])
    assert answers == [base.WriteResult(held.key, "unchanged", first.datestamp), None, None]
    assert repo.put_unchanged([_plain(_entry(repo, DOI, "A better title"))]) == [None]
    # Nothing was written for the entries left over, and the held record keeps its renderings.
    assert repo.get("10.5555/new") is None and repo.get(gone.key).deleted
    assert repo.get(held.key).rendered == held.rendered
    # What put answers for the same entries, rendered, agrees on the first.
    assert repo.put([held])[0] == answers[0]


def test_a_key_met_twice_in_one_call_is_left_to_put(repo: Repository) -> None:
    held = _entry(repo, DOI)
    repo.put([held])
    changed = _entry(repo, DOI, "A better title")
    # One by one, the second would see the first's write: only put may answer these.
    assert repo.put_unchanged([_plain(changed), _plain(held)]) == [None, None]
    assert repo.put_unchanged([_plain(held), _plain(held)]) == [None, None]
    assert repo.get(held.key).content_hash == held.content_hash


def test_an_unchanged_entry_records_its_sequence_and_an_older_one_is_stale(repo: Repository) -> None:
    repo.put([_entry(repo, DOI, sequence=5)])
    [again] = repo.put_unchanged([_plain(_entry(repo, DOI, sequence=7))])
    assert again is not None and again.outcome == "unchanged"
    # Sequence 7 was recorded: a changed write of sequence 6 is older.
    assert repo.put([_entry(repo, DOI, "Delayed", sequence=6)])[0].outcome == "stale"
    [late] = repo.put_unchanged([_plain(_entry(repo, DOI, sequence=6))])
    assert late is not None and late.outcome == "stale"
    [retry] = repo.put_unchanged([_plain(_entry(repo, DOI, sequence=7))])
    assert retry is not None and retry.outcome == "unchanged"


def test_an_unchanged_re_put_answers_as_before_without_rendering(
    pusher: Pusher, renders: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dmzpub.audit")
    first = pusher.put(v4_document(DOI))
    assert first.status_code == 201 and len(renders) == 1
    again = pusher.put(v4_document(DOI))
    assert again.status_code == 200 and len(renders) == 1
    assert again.json == {**first.json, "status": "unchanged"}
    assert again.headers["Location"] == first.headers["Location"]
    changed = pusher.put(v4_document(DOI, "A better title"))
    assert changed.status_code == 200 and changed.json["status"] == "updated" and len(renders) == 2
    audit = [r.getMessage() for r in caplog.records if r.name == "dmzpub.audit"]
    assert [line.split(": ")[1].split(" by ")[0] for line in audit] == ["created", "unchanged", "updated"]


def test_a_bulk_push_renders_only_the_records_it_writes(pusher: Pusher, renders: list[str]) -> None:
    assert pusher.bulk([v4_document(DOI), v4_document("10.5555/again-2")]).status_code == 200
    renders.clear()
    documents = [v4_document(DOI), v4_document("10.5555/again-2", "Changed"), v4_document("10.5555/again-3")]
    answer = pusher.bulk(documents)
    assert answer.status_code == 200
    assert [item["status"] for item in answer.json["items"]] == ["unchanged", "updated", "created"]
    assert renders == ["10.5555/again-2", "10.5555/again-3"]
    # The same DOI twice in one body: each is written in turn, as before.
    renders.clear()
    twice = pusher.bulk([v4_document(DOI, "Third title"), v4_document(DOI)])
    assert [item["status"] for item in twice.json["items"]] == ["updated", "updated"]
    assert renders == [DOI, DOI]


def test_a_settled_re_push_clears_a_remembered_write_failure_as_a_put_does(repo: Repository) -> None:
    held = _entry(repo, DOI)
    repo.put([held])
    repo._note_write(StoreUnavailable("disk full"))
    assert repo.put_unchanged([_plain(_entry(repo, "10.5555/new"))]) == [None]  # nothing went through yet
    assert repo._write_failure is not None
    assert repo.put_unchanged([_plain(held)])[0] is not None
    assert repo._write_failure is None


def test_a_resend_the_store_holds_makes_no_sets_or_search_text_and_a_written_record_makes_each_once(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []

    def counted(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(record: Any, *args: Any) -> Any:
            made.append(name)
            return real(record, *args)

        return call

    monkeypatch.setattr(record_writer, "derive_sets", counted("sets", record_writer.derive_sets))
    monkeypatch.setattr(record_writer, "search_text", counted("search", record_writer.search_text))
    writer = RecordWriter(repo)
    held, new = from_scicat(v4_document(DOI)), from_scicat(v4_document("10.5555/again-2"))
    assert [r.outcome for r in writer.publish_many([held])] == ["created"]
    made.clear()
    assert [r.outcome for r in writer.publish_many([held, new], [3, None])] == ["unchanged", "created"]
    assert sorted(made) == ["search", "sets"]  # the new record's, once each
    stored = repo.get("10.5555/again-2")
    assert stored is not None and stored.sets == tuple(record_writer.derive_sets(new, writer.set_rules))


def test_the_probe_put_unchanged_reads_equals_the_entry_the_constructor_makes() -> None:
    record = from_scicat(v4_document(DOI))
    probe = record_writer._probe(record, 7)
    made = Entry(**vars(probe))  # every field the constructor takes, and no other
    assert type(probe) is Entry and probe == made and vars(probe) == vars(made)
    assert (probe.key, probe.doi, probe.sequence, probe.status) == (record.key, record.doi, 7, record.status)
    assert (probe.metadata, probe.extras, probe.payload) == (record.metadata, record.extras, record.payload)
    assert (probe.content_hash, probe.rendered, probe.sets, probe.search) == (record.content_hash, {}, (), "")
