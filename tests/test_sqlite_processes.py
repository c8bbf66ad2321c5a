"""The SQLite store is safe with several worker processes writing and reading one file."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from catalogue_core.store import ListQuery
from catalogue_core.store.sqlite import SQLiteRepository


def _writer(path: str, worker: int, count: int) -> None:
    from conftest import v4_document

    from catalogue_core.record_writer import RecordWriter
    from catalogue_core.scicat import from_scicat

    repo = SQLiteRepository(path)
    publisher = RecordWriter(repo)
    for i in range(count):
        # Every worker also rewrites a shared DOI, so writers contend on the same row.
        publisher.publish(v4_document(f"10.1234/w{worker}-{i}"))
        publisher.publish_many([from_scicat(v4_document("10.1234/shared", f"by {worker} #{i}"))])
    repo.close()


def test_concurrent_processes_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite")
    SQLiteRepository(path).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(path, w, 40)) for w in range(3)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
    assert [p.exitcode for p in workers] == [0, 0, 0]
    repo = SQLiteRepository(path)
    keys = [r.key for r in repo.list_keys(None, 1000)]
    assert len(keys) == 3 * 40 + 1 and "10.1234/shared" in keys
    assert repo.count(ListQuery()) == 121 and repo.count(ListQuery(set_spec="openaire_data")) == 121
    assert repo._read("SELECT count(*) FROM inflight")[0][0] == 0
    assert repo._read("PRAGMA journal_mode")[0][0] == "wal"
    repo.close()
