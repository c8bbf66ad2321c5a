"""Faults around delivery: replies lost after the DMZ committed, clock jumps, a full disk while queueing."""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest
from conftest import v4_document

from catalogue_core.errors import RecordNotFound
from catalogue_core.publisher import Outbox
from catalogue_core.publisher.intents import publication, withdrawal_of

from .conftest import Intranet, held
from .crash import DMZPUB, integrity
from .servers import LiveDMZ, LoopbackServer

DOI, OTHER = "10.99999/slow-0001", "10.99999/slow-0002"


@pytest.mark.parametrize("slow_write", [1, 2, 3], ids=["bulk-publication", "amendment", "withdrawal"])
def test_a_reply_lost_after_commit_is_retried_idempotently(
    intranet: Intranet, dmz: LiveDMZ, dmz_store, slow_write: int
) -> None:
    # Writes: 1 = bulk of both first versions, 2 = DOI's amendment, 3 = DOI's withdrawal (each once, plus replays).
    box = intranet.outbox()
    box.enqueue([publication(v4_document(DOI, "One"), "a"), publication(v4_document(OTHER, "Other"), "b")])
    box.enqueue([publication(v4_document(DOI, "Two"), "c"), withdrawal_of(DOI, "retracted")])
    slowed = []

    def answer_late(writes: int) -> None:
        if writes == slow_write:  # committed; the reply leaves after the client stopped waiting
            slowed.append(writes)
            time.sleep(1.0)

    dmz.after_write = answer_late
    result = intranet.invoke("outbox", "flush", DMZPUB_PUSH_TIMEOUT=0.3)  # type: ignore[arg-type]
    assert result.exit_code == 0, result.output
    assert slowed == [slow_write]
    assert "unchanged" in result.output and box.counts()["pending"] == 0
    assert dmz.effects(DOI) == ["created", "updated", "withdrawn"]
    assert held(dmz_store, DOI).deleted and held(dmz_store, DOI).reason == "retracted"
    assert dmz.effects(OTHER) == ["created"]


@pytest.mark.parametrize("jump", [-86400.0 * 365, 86400.0 * 365], ids=["back-a-year", "forward-a-year"])
def test_a_clock_jump_keeps_queued_entries_and_their_order(
    intranet: Intranet, dmz: LiveDMZ, dmz_store, monkeypatch: pytest.MonkeyPatch, jump: float
) -> None:
    box = intranet.outbox()
    box.enqueue([publication(v4_document(DOI, "One"), "a")])
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + jump)
    box.enqueue([withdrawal_of(DOI, "retracted")])
    monkeypatch.setattr(time, "time", real)
    box.prune(older_than=0)  # what a flush after the clock went back (or forward) would do
    assert box.counts()["pending"] == 2
    assert intranet.invoke("outbox", "flush").exit_code == 0
    assert dmz.effects(DOI) == ["created", "withdrawn"]
    assert held(dmz_store, DOI).deleted


def _small_files() -> None:
    # The process may grow no file past 256 KiB: the outbox's write-ahead log hits "disk full".
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))


def test_a_full_disk_while_queueing_is_a_clear_error_and_queues_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "intranet"
    box = Outbox(data_dir / "outbox.sqlite")
    box.enqueue([publication(v4_document(DOI), "earlier")])
    box.close()
    big = tmp_path / "big.json"
    big.write_text(json.dumps([v4_document(f"10.99999/big-{i:03d}", "T" * 2000) for i in range(300)]))
    env = {**os.environ, "DMZPUB_DATA_DIR": str(data_dir)}
    run = subprocess.run(
        [DMZPUB, "push", "--queue-only", str(big)], env=env, capture_output=True, text=True, preexec_fn=_small_files
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr, run.stderr
    assert "cannot write the outbox" in run.stderr and "DMZPUB_DATA_DIR" in run.stderr, run.stderr
    assert integrity(data_dir / "outbox.sqlite") == "ok"
    box = Outbox(data_dir / "outbox.sqlite")
    try:
        assert box.counts()["pending"] == 1  # the earlier entry, and nothing of the failed push
        assert not box.last_sent(["10.99999/big-000"])
    finally:
        box.close()


def _proxy_page(environ: dict, start_response) -> list[bytes]:
    # A reverse proxy's maintenance page: HTTP 200, but not the DMZ's JSON reply.
    start_response("200 OK", [("Content-Type", "text/html")])
    return [b"<html><body>Service is being updated, back soon</body></html>"]


@pytest.mark.parametrize(
    ("command", "files"),
    [(("push",), 1), (("push",), 2), (("withdraw", DOI), 0)],
    ids=["put", "bulk", "withdraw"],
)
def test_a_reply_that_is_not_json_keeps_the_entry_queued(tmp_path: Path, command: tuple, files: int) -> None:
    proxy = LoopbackServer(_proxy_page)
    proxy.start()
    try:
        intranet = Intranet(tmp_path / "intranet", proxy)  # type: ignore[arg-type]
        paths = [intranet.write(f"d{i}.json", v4_document(f"10.99999/proxy-{i}")) for i in range(files)]
        result = intranet.invoke(*command, *paths, DMZPUB_PUSH_GIVE_UP="0.2")
        assert result.exit_code == 1
        assert "not JSON" in result.output and "wait in the outbox" in result.output, result.output
        assert intranet.outbox().counts()["pending"] == max(files, 1)
        intranet.close()
    finally:
        proxy.stop()


def _no_such_page(environ: dict, start_response) -> list[bytes]:
    # What a web server answers when DMZPUB_PUSH_URL points at the wrong place: 404 for everything.
    start_response("404 Not Found", [("Content-Type", "text/html")])
    return [b"<html><body>404 Not Found</body></html>"]


def test_a_withdrawal_sent_to_the_wrong_address_stays_queued(tmp_path: Path) -> None:
    wrong = LoopbackServer(_no_such_page)
    wrong.start()
    try:
        intranet = Intranet(tmp_path / "intranet", wrong)  # type: ignore[arg-type]
        result = intranet.invoke("withdraw", DOI, "--reason", "retracted")
        assert result.exit_code == 1
        assert "no dmzpub push API at this address" in result.output, result.output
        assert intranet.outbox().counts()["pending"] == 1  # not counted as done: the DMZ never saw it
        intranet.close()
    finally:
        wrong.stop()


def test_a_withdrawal_of_a_doi_the_dmz_never_had_counts_as_done(intranet: Intranet, dmz: LiveDMZ) -> None:
    result = intranet.invoke("withdraw", "10.99999/never-published")
    assert result.exit_code == 0, result.output
    assert "1 absent" in result.output and intranet.outbox().counts()["delivered"] == 1


def test_opening_a_new_outbox_waits_for_another_process_creating_it(tmp_path: Path) -> None:
    # Two commands started at once on a fresh install: the other one is still creating the file.
    path = tmp_path / "outbox.sqlite"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("CREATE TABLE creating (x)")
    release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    release.start()
    try:
        box = Outbox(path)
        box.enqueue([withdrawal_of(DOI, None)])
        assert box.counts()["pending"] == 1
        box.close()
    finally:
        release.join()
        other.close()


def test_a_put_the_dmz_applies_after_a_later_withdrawal_is_refused_as_superseded(
    intranet: Intranet, dmz: LiveDMZ, dmz_store
) -> None:
    box = intranet.outbox()
    box.enqueue([publication(v4_document(DOI, "One"), "a")])
    released = threading.Event()
    finished = threading.Event()

    def hold_the_first(arrived: int) -> None:
        if arrived == 1:  # the first PUT stalls in the DMZ until the withdrawal has been applied
            released.wait(30)

    def after(writes: int) -> None:
        if released.is_set():
            finished.set()

    dmz.before_write, dmz.after_write = hold_the_first, after
    try:
        result = intranet.invoke("outbox", "flush", DMZPUB_PUSH_TIMEOUT=0.5)  # type: ignore[arg-type]
        assert result.exit_code == 0, result.output  # the retry lands
        box.enqueue([withdrawal_of(DOI, "retracted")])
        assert intranet.invoke("outbox", "flush").exit_code == 0
        assert held(dmz_store, DOI).deleted
    finally:
        released.set()
    assert finished.wait(30)  # the stalled PUT reached the store, after the withdrawal
    assert held(dmz_store, DOI).deleted and held(dmz_store, DOI).reason == "retracted"
    assert dmz.effects(DOI) == ["created", "withdrawn"]  # the late PUT changed nothing (409)


def test_a_409_for_a_stale_write_counts_as_superseded_not_retried(intranet: Intranet, dmz: LiveDMZ, dmz_store) -> None:
    box = intranet.outbox()
    box.enqueue([publication(v4_document(DOI, "One"), "a")])
    box.enqueue([withdrawal_of(DOI, "retracted")])
    put, withdrawal = box.entries(state="pending")
    assert put.sequence is not None and withdrawal.sequence is not None and put.sequence < withdrawal.sequence
    with pytest.raises(RecordNotFound):  # the DMZ saw the withdrawal first (another copy of it, say)
        dmz_store.withdraw(DOI, sequence=withdrawal.sequence)
    result = intranet.invoke("outbox", "flush")
    assert result.exit_code == 0, result.output
    assert box.counts()["pending"] == 0
    assert [(e.action, e.outcome, e.http_status) for e in box.entries(doi_key=DOI)] == [
        ("put", "superseded", 409),
        ("withdraw", "absent", 404),
    ]
    assert held(dmz_store, DOI) is None
