"""Both stores read a reindex's page of records the same way, and a forked child reads through its own connection."""

from __future__ import annotations

import os
import pickle
import warnings

from conftest import v4_document
from test_thumbnail_store import PNG, _document, _put

from catalogue_core.record_writer import RecordWriter
from catalogue_core.scicat import from_scicat
from catalogue_core.store import Entry, Repository
from catalogue_core.store.sqlite import SQLiteRepository


def _entries(repo: Repository, n: int) -> list[Entry]:
    writer = RecordWriter(repo)
    entries = [writer.entry(from_scicat(v4_document(f"10.1234/Src-{i}", f"Title {i}"))) for i in range(n)]
    repo.put(entries)
    return entries


def test_reindex_sources_reads_live_records_in_the_order_asked_with_payload_renderings_and_search(
    repo: Repository,
) -> None:
    first, second, gone = _entries(repo, 3)
    repo.withdraw(gone.key)
    read = repo.reindex_sources([second.key, "10.1234/unknown", gone.key, first.key])
    assert [record.key for record, _ in read] == [second.key, first.key]
    for (record, search), entry in zip(read, [second, first], strict=True):
        assert (record.doi, record.content_hash, record.sets) == (entry.doi, entry.content_hash, entry.sets)
        assert record.payload == entry.payload and record.rendered == entry.rendered
        assert search == entry.search and not record.deleted
        assert record.metadata == {} and record.extras == {}  # a reindex renders from the payload


def test_reindex_sources_of_no_keys_or_more_keys_than_one_query_holds(repo: Repository) -> None:
    entries = _entries(repo, 3)
    assert repo.reindex_sources([]) == []
    keys = [f"10.1234/none-{i}" for i in range(2500)] + [e.key for e in entries]
    assert [record.key for record, _ in repo.reindex_sources(keys)] == [e.key for e in entries]


def test_reindex_sources_gives_back_a_thumbnail_kept_apart_as_pushed(repo: Repository) -> None:
    document = _document(PNG)
    key = _put(repo, document)
    [(record, _)] = repo.reindex_sources([key])
    assert record.payload["thumbnail"] == document["thumbnail"]
    assert record.payload == repo.get(key).payload


def test_a_forked_child_reads_through_connections_of_its_own_after_after_fork(repo: Repository) -> None:
    [entry] = _entries(repo, 1)
    assert repo.get(entry.key) is not None  # the parent has a connection open before the fork
    reader, writer = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # forking a process with threads: as reindex does
        child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            repo.after_fork()  # warnings are errors here too: pymongo's fork warning would fail the read
            [(record, search)] = repo.reindex_sources([entry.key])
            answer: object = (record.rendered == entry.rendered, search == entry.search)
        except BaseException as exc:  # reported to the parent, whatever it is
            answer = repr(exc)
        os.write(writer, pickle.dumps(answer))
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        answer = pickle.loads(pipe.read())
    os.waitpid(child, 0)
    assert answer == (True, True)
    assert repo.reindex_sources([entry.key])[0][0].rendered == entry.rendered  # the parent's store still answers


def test_reindex_sources_tell_a_plain_payload_plain_and_one_with_a_float_not(repo: Repository) -> None:
    plain_doc = v4_document("10.1234/Plain-1", "Plain")
    float_doc = v4_document("10.1234/Float-1", "Float") | {"size": 1.5}
    writer = RecordWriter(repo)
    repo.put([writer.entry(from_scicat(plain_doc)), writer.entry(from_scicat(float_doc))])
    read = {record.doi: record for record, _ in repo.reindex_sources(["10.1234/plain-1", "10.1234/float-1"])}
    assert read["10.1234/Plain-1"].payload == plain_doc and read["10.1234/Float-1"].payload == float_doc
    assert isinstance(read["10.1234/Float-1"].payload["size"], float)
    if isinstance(repo, SQLiteRepository):  # MongoDB's documents come without a parse to tell
        assert read["10.1234/Plain-1"].payload_plain
    assert not read["10.1234/Float-1"].payload_plain
