"""One contract, two stores: SQLite and MongoDB over the wire behave the same."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import replace
from typing import Any

import pytest
from conftest import v4_document, write_in_flight

from catalogue_core.errors import RecordNotFound, StoreUnavailable
from catalogue_core.page_parts import PAGE_PARTS
from catalogue_core.record_writer import RecordWriter
from catalogue_core.scicat import from_scicat
from catalogue_core.store import Entry, ListedRecord, ListQuery, Repository, StoredRecord, base


class Clock:
    """A controllable clock for datestamps."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(base, "utcnow", clock)
    return clock


def entry(repo: Repository, n: int, title: str = "Title", year: int = 2020, rtype: str = "raw") -> Entry:
    doc = v4_document(f"10.1234/Rec-{n:05d}", title, publicationYear=year, resourceType=rtype)
    return RecordWriter(repo).entry(from_scicat(doc))


def harvest(repo: Repository, query: ListQuery, page: int) -> list[Any]:
    out, after = [], None
    while batch := repo.list_records(query, after, page):
        out.extend(batch)
        after = (batch[-1].datestamp, batch[-1].key)
    return out


def test_create_then_read_back_everything(repo: Repository, clock: Clock) -> None:
    e = entry(repo, 1)
    [result] = repo.put([e])
    assert (result.key, result.outcome, result.datestamp) == (
        "10.1234/rec-00001",
        "created",
        "2023-11-14T22:13:20Z",
    )
    got = repo.get(e.key)
    assert got is not None
    assert got.doi == "10.1234/Rec-00001"
    assert got.metadata == e.metadata and got.extras == e.extras and got.payload == e.payload
    assert got.rendered == e.rendered and set(got.rendered) == {
        "oai_dc",
        "datacite",
        "oai_datacite",
        "panosc",
    }
    assert got.sets == e.sets and "openaire_data" in got.sets
    assert (got.created, got.deleted, got.content_hash) == (result.datestamp, False, e.content_hash)
    assert repo.get(e.key, formats=["oai_dc"]).rendered == {"oai_dc": e.rendered["oai_dc"]}
    bare = repo.get(e.key, formats=())  # what reindex and amendments read: the record without its formats
    assert bare is not None and bare.rendered == {} and bare.payload == e.payload and bare.metadata == e.metadata


def test_unchanged_push_keeps_datestamp(repo: Repository, clock: Clock) -> None:
    [first] = repo.put([entry(repo, 1)])
    clock.now += 3600
    [again] = repo.put([entry(repo, 1)])
    assert (again.outcome, again.datestamp) == ("unchanged", first.datestamp)


def test_changed_push_moves_datestamp_keeps_created(repo: Repository, clock: Clock) -> None:
    [first] = repo.put([entry(repo, 1)])
    clock.now += 61
    [second] = repo.put([entry(repo, 1, title="New title")])
    assert second.outcome == "updated" and second.datestamp > first.datestamp
    got = repo.get(second.key)
    assert got.created == first.datestamp and got.metadata["titles"][0]["title"] == "New title"


def test_datestamp_never_goes_backwards_when_the_clock_does(repo: Repository, clock: Clock) -> None:
    [first] = repo.put([entry(repo, 1)])
    clock.now -= 3600
    [second] = repo.put([entry(repo, 1, title="Changed")])
    assert second.datestamp >= first.datestamp


def test_a_batch_puts_each_record_as_one_put_after_another_would(repo: Repository, clock: Clock) -> None:
    [held] = repo.put([replace(entry(repo, 4), sequence=7)])
    clock.now += 61
    batch = [
        entry(repo, 1),
        entry(repo, 2),
        entry(repo, 1, title="Again in the same batch"),  # sees the write before it
        replace(entry(repo, 3), sequence=5),
        replace(entry(repo, 3, title="Older"), sequence=4),  # stale against the one before it
        entry(repo, 2),  # unchanged
        replace(entry(repo, 4, title="Older than held"), sequence=6),
    ]
    outcomes = [(r.key[-5:], r.outcome) for r in repo.put(batch)]
    assert outcomes == [
        ("00001", "created"),
        ("00002", "created"),
        ("00001", "updated"),
        ("00003", "created"),
        ("00003", "stale"),
        ("00002", "unchanged"),
        ("00004", "stale"),
    ]
    one, three, four = (repo.get(f"10.1234/rec-0000{n}") for n in (1, 3, 4))
    assert one is not None and one.metadata["titles"][0]["title"] == "Again in the same batch"
    assert one.rendered == batch[2].rendered and one.created == one.datestamp > held.datestamp
    assert three is not None and three.metadata["titles"][0]["title"] == "Title"
    assert four is not None and four.datestamp == held.datestamp
    assert repo.count(ListQuery()) == 4 and repo.count(ListQuery(set_spec="openaire_data")) == 4


def test_withdrawal_keeps_a_tombstone(repo: Repository, clock: Clock) -> None:
    [created] = repo.put([entry(repo, 1)])
    clock.now += 10
    result = repo.withdraw(created.key, "duplicate of another DOI")
    assert result.outcome == "withdrawn" and result.datestamp == base.format_datestamp(clock.now)
    tomb = repo.get(created.key)
    assert tomb.deleted and tomb.reason == "duplicate of another DOI" and tomb.datestamp == result.datestamp
    assert tomb.rendered == {}
    clock.now += 10
    assert repo.withdraw(created.key).outcome == "unchanged"
    assert repo.get(created.key).datestamp == result.datestamp
    listed = harvest(repo, ListQuery(set_spec="openaire_data"), 10)
    assert [(r.key, r.deleted) for r in listed] == [(created.key, True)]


def test_withdrawing_an_unknown_doi_raises(repo: Repository) -> None:
    with pytest.raises(RecordNotFound):
        repo.withdraw("10.1234/never")


def test_republishing_a_withdrawn_record(repo: Repository, clock: Clock) -> None:
    repo.put([entry(repo, 1)])
    clock.now += 5
    repo.withdraw("10.1234/rec-00001")
    clock.now += 5
    [again] = repo.put([entry(repo, 1)])
    assert again.outcome == "updated"
    got = repo.get("10.1234/rec-00001")
    assert not got.deleted and got.reason is None and got.rendered


@pytest.mark.parametrize("page", [1, 3, 7, 50])
def test_keyset_pages_cover_everything_once_in_order(repo: Repository, clock: Clock, page: int) -> None:
    order = list(range(23))
    random.Random(page).shuffle(order)
    for n in order:
        clock.now += random.Random(n).choice([0, 0, 1, 2])  # many share a datestamp
        repo.put([entry(repo, n)])
    listed = harvest(repo, ListQuery(), page)
    keys = [(r.datestamp, r.key) for r in listed]
    assert keys == sorted(keys) and len(set(keys)) == 23
    assert repo.count(ListQuery()) == 23


def test_from_until_are_inclusive_and_sets_are_hierarchical(repo: Repository, clock: Clock) -> None:
    stamps = []
    for n, (year, rtype) in enumerate([(2020, "raw"), (2021, "raw"), (2021, "derived"), (2022, "Software")]):
        clock.now += 100
        stamps.append(repo.put([entry(repo, n, year=year, rtype=rtype)])[0].datestamp)
    inner = ListQuery(from_=stamps[1], until=stamps[2])
    assert [r.key for r in harvest(repo, inner, 10)] == ["10.1234/rec-00001", "10.1234/rec-00002"]
    assert repo.count(inner) == 2
    assert len(harvest(repo, ListQuery(set_spec="year:2021"), 1)) == 2
    assert len(harvest(repo, ListQuery(set_spec="type:dataset"), 1)) == 3
    assert len(harvest(repo, ListQuery(set_spec="type:dataset:raw"), 1)) == 2
    assert len(harvest(repo, ListQuery(set_spec="type:software"), 1)) == 1
    assert repo.count(ListQuery(set_spec="type", until=stamps[2])) == 3
    assert repo.list_records(ListQuery(set_spec="nonexistent"), None, 10) == []
    assert {"openaire_data", "year", "year:2020", "type:dataset:derived"} <= set(repo.set_specs())


def test_list_records_fetches_only_the_asked_format(repo: Repository, clock: Clock) -> None:
    e = entry(repo, 1)
    repo.put([e])
    [r] = repo.list_records(ListQuery(), None, 10, metadata_prefix="datacite")
    assert r.rendered == {"datacite": e.rendered["datacite"]}
    [bare] = repo.list_records(ListQuery(), None, 10)
    assert bare.rendered == {}


def test_list_page_lists_what_list_records_does_as_light_entries(repo: Repository, clock: Clock) -> None:
    for n, year in enumerate([2020, 2021, 2021, 2022]):
        clock.now += n % 2  # two pairs share a datestamp: the key breaks the tie
        repo.put([entry(repo, n, year=year)])
    repo.withdraw("10.1234/rec-00002", "retracted")
    for query in (ListQuery(), ListQuery(set_spec="year:2021"), ListQuery(statuses=("registered",))):
        for after in (None, ("2000-01-01T00:00:00Z", ""), (repo.list_records(query, None, 1) or [None])[0]):
            position = (after.datestamp, after.key) if isinstance(after, StoredRecord) else after
            full = repo.list_records(query, position, 3, "oai_dc")
            light = repo.list_page(query, position, 3, "oai_dc")
            assert light == [
                ListedRecord(r.key, r.datestamp, r.deleted, r.sets, r.rendered.get("oai_dc")) for r in full
            ]
    [tombstone] = [r for r in repo.list_page(ListQuery(), None, 10, "oai_dc") if r.deleted]
    assert tombstone.key == "10.1234/rec-00002" and tombstone.xml is None
    assert all(r.xml and r.xml.startswith("<oai_dc:dc") for r in repo.list_page(ListQuery(), None, 10, "oai_dc")[:2])


def test_list_keys_in_key_order_with_hashes(repo: Repository, clock: Clock) -> None:
    for n in (5, 1, 3):
        repo.put([entry(repo, n)])
    first = repo.list_keys(None, 2)
    rest = repo.list_keys(first[-1].key, 2)
    assert [r.key for r in first + rest] == [
        "10.1234/rec-00001",
        "10.1234/rec-00003",
        "10.1234/rec-00005",
    ]
    assert all(r.content_hash.startswith("sha256:") for r in first + rest)


def test_earliest_datestamp_is_a_lower_bound(repo: Repository, clock: Clock) -> None:
    assert repo.earliest_datestamp() is None
    repo.put([entry(repo, 1)])
    clock.now += 50
    repo.put([entry(repo, 2)])
    assert repo.earliest_datestamp() == base.format_datestamp(clock.now - 50)


def test_update_rendered_bumps_only_on_change(repo: Repository, clock: Clock) -> None:
    e = entry(repo, 1)
    [first] = repo.put([e])
    clock.now += 30
    assert repo.update_rendered(e.key, e.rendered, e.sets).outcome == "unchanged"
    changed = {
        **e.rendered,
        "oai_dc": e.rendered["oai_dc"].replace("<dc:title>Title<", "<dc:title>Changed<"),
    }
    result = repo.update_rendered(e.key, changed, e.sets)
    assert result.outcome == "updated" and result.datestamp > first.datestamp
    assert repo.get(e.key).rendered["oai_dc"] == changed["oai_dc"]


def test_update_rendered_many_writes_each_record_as_update_rendered_would(repo: Repository, clock: Clock) -> None:
    same, moved, gone = entry(repo, 1), entry(repo, 2), entry(repo, 3)
    first = {r.key: r for r in repo.put([same, moved, gone])}
    repo.withdraw(gone.key)
    clock.now += 30
    changed = {**moved.rendered, "oai_dc": moved.rendered["oai_dc"].replace("<dc:title>Title<", "<dc:title>New<")}
    results = repo.update_rendered_many(
        [
            base.Rerendered(same.key, same.rendered, same.sets),
            base.Rerendered(moved.key, changed, moved.sets),
            base.Rerendered(gone.key, gone.rendered, gone.sets),
        ]
    )
    assert [r.outcome for r in results] == ["unchanged", "updated", "unchanged"]
    assert results[0].datestamp == first[same.key].datestamp and results[1].datestamp > first[moved.key].datestamp
    assert repo.get(moved.key).rendered["oai_dc"] == changed["oai_dc"] and repo.get(gone.key).rendered == {}
    assert repo.safe_now() == base.format_datestamp(clock.now)  # no in-flight marker left behind


def test_update_rendered_leaves_exactly_the_new_formats_added_changed_and_dropped(
    repo: Repository, clock: Clock
) -> None:
    e = entry(repo, 1)
    repo.put([replace(e, rendered={**e.rendered, PAGE_PARTS: "parts", "extra": "<old/>"})])
    clock.now += 30
    kept = {p: x for p, x in e.rendered.items() if p != "oai_dc"}
    new = {**kept, PAGE_PARTS: "new parts", "added": "<added/>"}  # oai_dc and extra dropped, parts changed
    assert repo.update_rendered(e.key, new, e.sets).outcome == "updated"
    assert repo.get(e.key).rendered == new
    assert repo.rendered_part(e.key, "extra") is None and repo.rendered_part(e.key, PAGE_PARTS) == "new parts"
    # Only the parts move: the rest is written as it stood, and still reads back whole.
    assert (
        repo.update_rendered_many([base.Rerendered(e.key, {**new, PAGE_PARTS: "third"}, e.sets)])[0].outcome
        == "unchanged"
    )
    assert repo.get(e.key).rendered == {**new, PAGE_PARTS: "third"}


def test_safe_now_waits_for_writes_in_flight(repo: Repository, clock: Clock) -> None:
    started = clock.now
    with repo._inflight():
        clock.now += 120
        assert repo.safe_now() == base.format_datestamp(started if repo._marks_writes else clock.now)
    assert repo.safe_now() == base.format_datestamp(clock.now)


def test_a_harvest_started_while_a_write_is_in_flight_lists_it_or_ends_before_its_datestamp(
    repo: Repository, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MongoDB's marker holds the watermark back; SQLite's safe_now waits for the write to commit."""
    record = entry(repo, 1)
    with write_in_flight(repo, lambda: repo.put([record]), monkeypatch) as results:
        clock.now += 120  # the write took its datestamp two minutes ago and has not committed
        watermark = repo.safe_now()
        listed = [r.key for r in harvest(repo, ListQuery(until=watermark), 10)]
    ((written,),) = results
    assert written.datestamp == base.format_datestamp(clock.now - 120)
    # The next harvest, from=watermark, finds the record; or this one listed it already.
    assert written.datestamp >= watermark if repo._marks_writes else record.key in listed


def test_a_dead_inflight_write_stops_holding_back_after_its_ttl(repo: Repository, clock: Clock) -> None:
    repo._register_inflight("dead-writer", clock.now)
    clock.now += base.INFLIGHT_TTL + 1
    assert repo.safe_now() == base.format_datestamp(clock.now)


def test_the_write_probe_clears_markers_a_failed_write_left_behind(repo: Repository, clock: Clock) -> None:
    repo._register_inflight("failed-writer", clock.now)
    repo._orphans = frozenset({"failed-writer"})  # its write and its clearing both failed
    clock.now += 60
    assert repo.safe_now() == base.format_datestamp(clock.now - 60)
    repo.check_writable()
    assert repo.safe_now() == base.format_datestamp(clock.now) and not repo._orphans


def test_a_committed_write_probe_answers_for_a_second_and_a_failed_one_for_none(
    repo: Repository, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    probes: list[float] = []
    failing: list[str] = []
    commit = repo._probe_write

    def probe(orphans: Any) -> None:
        probes.append(clock.now)
        if failing:
            raise StoreUnavailable(failing[0])
        commit(orphans)

    monkeypatch.setattr(repo, "_probe_write", probe)
    repo.check_writable()
    clock.now += base.PROBE_INTERVAL / 2
    repo.check_writable()
    assert len(probes) == 1  # the second call within the interval commits nothing
    clock.now += base.PROBE_INTERVAL
    failing.append("read-only")
    for _ in range(2):
        with pytest.raises(StoreUnavailable, match="read-only"):
            repo.check_writable()
    assert len(probes) == 3  # a failed probe is not remembered: each call probes again
    failing.clear()
    repo.check_writable()
    assert len(probes) == 4


def test_incremental_harvest_misses_nothing_under_concurrent_pushes(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A harvester asking from=<previous responseDate> sees the final state of every record."""
    # A clock running 500x fast makes every write straddle datestamp boundaries, the case
    # where a naive responseDate loses records.
    t0 = time.monotonic()
    monkeypatch.setattr(base, "utcnow", lambda: 1_700_000_000 + (time.monotonic() - t0) * 500)
    writers, per_writer = 4, 15
    done = threading.Event()
    pushed: dict[str, str] = {}
    lock = threading.Lock()
    errors: list[BaseException] = []

    def push(w: int) -> None:
        try:
            for i in range(per_writer):
                n = (w * per_writer + i) % 40  # writers overlap on DOIs: updates race with creates
                result = repo.put([entry(repo, n, title=f"v{w}-{i}")])[0]
                with lock:
                    pushed[result.key] = result.datestamp
        except BaseException as exc:
            errors.append(exc)

    seen: dict[str, str] = {}

    def sweep(from_: str | None) -> str:
        response_date = repo.safe_now()
        for r in harvest(repo, ListQuery(from_=from_), 7):
            seen[r.key] = max(seen.get(r.key, ""), r.datestamp)
        return response_date

    threads = [threading.Thread(target=push, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    previous = None
    while any(t.is_alive() for t in threads):
        previous = sweep(previous)
    for t in threads:
        t.join()
    done.set()
    sweep(previous)
    assert not errors
    final = {r.key: r.datestamp for r in harvest(repo, ListQuery(), 100)}
    assert seen == final and set(final) == set(pushed)


def test_sqlite_listing_walks_an_index(tmp_path: Any) -> None:
    """Keyset pages are index range scans with no sort step, so depth costs nothing."""
    from catalogue_core.store.sqlite import SQLiteRepository

    repo = SQLiteRepository(tmp_path / "plan.sqlite")
    for driver_sql in (
        "SELECT r.key FROM records r WHERE (r.datestamp, r.key) > (?, ?) ORDER BY r.datestamp, r.key LIMIT 10",
        "SELECT r.key FROM record_sets s JOIN records r ON r.key = s.key WHERE s.spec = ? "
        "AND (s.datestamp, s.key) > (?, ?) ORDER BY s.datestamp, s.key LIMIT 10",
    ):
        args = ("a", "b") if driver_sql.count("?") == 2 else ("x", "a", "b")
        plan = " ".join(str(row[-1]) for row in repo._db().execute("EXPLAIN QUERY PLAN " + driver_sql, args))
        assert "TEMP B-TREE" not in plan and "USING" in plan, plan
    repo.close()


def test_sqlite_keeps_rendered_documents_out_of_the_key_index(tmp_path: Any) -> None:
    """A WITHOUT ROWID table held the 1-4 KB documents in its key b-tree: deep, with overflow pages."""
    from catalogue_core.store.sqlite import SQLiteRepository
    from catalogue_core.store.sqlite_rendered import ID_OF

    repo = SQLiteRepository(tmp_path / "layout.sqlite")
    [sql] = repo._db().execute("SELECT sql FROM sqlite_master WHERE name = 'rendered'").fetchone()
    assert "WITHOUT ROWID" not in sql.upper()
    # A record's rendering is found by its id (schema version 7: sqlite_rendered), one b-tree descent.
    plan = " ".join(
        str(row[-1])
        for row in repo._db().execute(
            f"EXPLAIN QUERY PLAN SELECT x.xml FROM records r JOIN rendered x ON x.id = {ID_OF} WHERE r.key = ?",
            ("a", "b"),
        )
    )
    assert "SEARCH x USING INTEGER PRIMARY KEY (rowid=?)" in plan and "SCAN" not in plan, plan
    repo.close()


def test_update_rendered_refreshes_search_text_without_a_new_datestamp(repo: Repository, clock: Clock) -> None:
    e = entry(repo, 1)
    [first] = repo.put([e])
    clock.now += 30
    assert repo.browse("zeolite", None, 10) == []
    result = repo.update_rendered(e.key, e.rendered, e.sets, e.search + " zeolite")
    assert (result.outcome, result.datestamp) == ("unchanged", first.datestamp)
    assert [r.key for r in repo.browse("zeolite", None, 10)] == [e.key]


def test_stats_count_published_and_withdrawn(repo: Repository, clock: Clock) -> None:
    assert (repo.stats().published, repo.stats().withdrawn, repo.stats().latest_datestamp) == (0, 0, None)
    repo.put([entry(repo, n) for n in range(3)])
    clock.now += 100
    result = repo.withdraw("10.1234/rec-00001")
    stats = repo.stats()
    assert (stats.published, stats.withdrawn, stats.latest_datestamp) == (2, 1, result.datestamp)


def test_a_summary_comes_with_its_page_parts_in_one_read(repo: Repository, clock: Clock) -> None:
    e = entry(repo, 1)
    repo.put([replace(e, rendered={**e.rendered, PAGE_PARTS: "the parts"})])
    found = repo.summary_with_part(e.key, PAGE_PARTS)
    assert found is not None and found.rendered == {PAGE_PARTS: "the parts"}
    assert replace(found, rendered={}) == repo.summary(e.key)
    assert repo.summary_with_part(e.key, "no-such-part") == repo.summary(e.key)
    assert repo.summary_with_part("10.1234/none", PAGE_PARTS) is None
    repo.withdraw(e.key)
    assert repo.summary_with_part(e.key, PAGE_PARTS) == repo.summary(e.key)  # a tombstone has no parts


def test_a_page_read_is_the_generation_then_the_summary_and_its_part(repo: Repository, clock: Clock) -> None:
    assert repo.page_read("10.1234/none", PAGE_PARTS) == (repo.generation(), None, None)
    e, bare = entry(repo, 1), entry(repo, 2)
    parts = "the parts – Øster"  # not ASCII: a store giving bytes gives UTF-8
    repo.put([replace(e, rendered={**e.rendered, PAGE_PARTS: parts}), bare])
    generation = repo.generation()
    read, summary, part = repo.page_read(e.key, PAGE_PARTS)
    assert (read, part.decode() if isinstance(part, bytes) else part) == (generation, parts)
    assert summary is not None and replace(summary, rendered={}) == repo.summary(e.key)
    assert repo.page_read(bare.key, PAGE_PARTS) == (generation, repo.summary(bare.key), None)
    assert repo.page_read("10.1234/none", PAGE_PARTS) == (generation, None, None)
    clock.now += 30
    repo.withdraw(e.key)
    assert repo.generation() > generation
    assert repo.page_read(e.key, PAGE_PARTS) == (repo.generation(), repo.summary(e.key), None)  # a tombstone: no parts


def test_page_parts_are_read_alone_and_never_move_a_datestamp(repo: Repository, clock: Clock) -> None:
    e = entry(repo, 1)
    stamped = repo.put([replace(e, rendered={**e.rendered, PAGE_PARTS: "first parts"})])[0].datestamp
    assert repo.rendered_part(e.key, PAGE_PARTS) == "first parts"
    assert repo.rendered_part(e.key, "no-such-part") is None and repo.rendered_part("10.1234/none", PAGE_PARTS) is None
    clock.now += 3600
    result = repo.update_rendered(e.key, {**e.rendered, PAGE_PARTS: "second parts"}, e.sets)
    assert (result.outcome, result.datestamp) == ("unchanged", stamped)
    assert repo.rendered_part(e.key, PAGE_PARTS) == "second parts"
    assert repo.get(e.key).rendered == {**e.rendered, PAGE_PARTS: "second parts"}
    # A disseminated format that changes still moves the datestamp, parts or not.
    changed = {**e.rendered, "oai_dc": e.rendered["oai_dc"] + " ", PAGE_PARTS: "second parts"}
    assert repo.update_rendered(e.key, changed, e.sets).outcome == "updated"
    repo.withdraw(e.key)
    assert repo.rendered_part(e.key, PAGE_PARTS) is None
