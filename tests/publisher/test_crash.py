"""Crash safety: `dmzpub` processes killed -9 at random (seeded) moments lose nothing and keep order."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import TOKEN, v4_document

from catalogue_core.publisher import Outbox
from catalogue_core.publisher.intents import publication, withdrawal_of
from catalogue_core.scicat import from_scicat

from .conftest import SCICAT_TOKEN, all_keys, held
from .crash import DMZPUB, Killer, integrity
from .servers import LiveDMZ, SciCatStandIn


@pytest.fixture
def store_kind() -> str:
    """Run on one DMZ store only: what is probed here is the intranet side, each run costs processes."""
    return "sqlite"


def env_of(data_dir: Path, dmz: LiveDMZ, **extra: str) -> dict[str, str]:
    """Return the environment of an intranet command against the live DMZ."""
    return {
        "DMZPUB_DATA_DIR": str(data_dir),
        "DMZPUB_PUSH_URL": dmz.url,
        "DMZPUB_PUSH_TOKEN": TOKEN,
        "DMZPUB_PUSH_BACKOFF": "0.02",
        "DMZPUB_PUSH_GIVE_UP": "15",
        **extra,
    }


def history(n: int) -> tuple[list, dict[str, list[str]], dict[str, str | None]]:
    """Return interleaved intents for n DOIs (publish, amend, withdraw in turns), the effects and end states due."""
    intents, effects, final = [], {}, {}
    for step in range(3):
        for i in range(n):
            doi = f"10.99999/crash-{i:03d}"
            kind = i % 3  # 0: published once; 1: published then amended; 2: published, amended, withdrawn
            if step == 0 or (step == 1 and kind >= 1):
                document = v4_document(doi, f"Crash dataset {i} version {step + 1}")
                intents.append(publication(document, doi))
                final[doi.lower()] = from_scicat(document).content_hash
            elif step == 2 and kind == 2:
                intents.append(withdrawal_of(doi, "retracted"))
                final[doi.lower()] = None
            effects[doi.lower()] = ["created", "updated", "withdrawn"][: kind + 1]
    return intents, effects, final


def assert_arrived(dmz: LiveDMZ, dmz_store, effects: dict, final: dict) -> None:
    """Check each DOI's writes happened once each, in queue order, and its end state is the newest."""
    for key, due in effects.items():
        assert dmz.effects(key) == due, key
        record = held(dmz_store, key)
        if final[key] is None:
            assert record.deleted, key
        else:
            assert not record.deleted and record.content_hash == final[key], key


def assert_outbox_settled(outbox_path: Path) -> None:
    """Check the outbox is intact and holds nothing waiting or parked."""
    assert integrity(outbox_path) == "ok"
    box = Outbox(outbox_path)
    try:
        counts = box.counts()
    finally:
        box.close()
    assert counts["pending"] == 0 and counts["parked"] == 0, counts


@pytest.mark.parametrize("seed", [6])
def test_flush_killed_at_random_moments_loses_nothing(tmp_path: Path, dmz: LiveDMZ, dmz_store, seed: int) -> None:
    data_dir = tmp_path / "intranet"
    intents, effects, final = history(45)
    box = Outbox(data_dir / "outbox.sqlite")
    box.enqueue(intents)
    box.close()
    killer = Killer(dmz, env_of(data_dir, dmz), seed)
    # Two bulk writes, then 15 withdrawals one by one: a kill at one of the first three writes always lands.
    code, output, verdicts = killer.run_with_kills("outbox", "flush", rounds=3, max_write=3, max_delay=2.4)
    assert code == 0, output
    assert killer.kills >= 3 and verdicts == ["ok"] * 4
    assert_arrived(dmz, dmz_store, effects, final)
    assert_outbox_settled(data_dir / "outbox.sqlite")


def test_sync_killed_at_random_moments_loses_nothing(
    tmp_path: Path, dmz: LiveDMZ, dmz_store, scicat: SciCatStandIn
) -> None:
    data_dir = tmp_path / "intranet"
    docs = [v4_document(f"10.99999/synccrash-{i:03d}", f"Sync dataset {i}") for i in range(40)]
    scicat.documents = {d["doi"]: d for d in docs}
    killer = Killer(dmz, env_of(data_dir, dmz), seed=11)
    args = ("sync", "--from-scicat", scicat.url, "--token", SCICAT_TOKEN, "--page-size", "5")
    assert killer.run(*args)[0] == 0
    # Upstream moves on: amendments, deletions, new records; the next sync is killed over and over.
    for doc in docs[:10]:
        scicat.documents[doc["doi"]] = {**doc, "title": "Amended " + doc["title"]}
    for doc in docs[10:20]:
        del scicat.documents[doc["doi"]]
    for i in range(40, 50):
        doc = v4_document(f"10.99999/synccrash-{i:03d}", f"Sync dataset {i}")
        scicat.documents[doc["doi"]] = doc
    for at in (1, 2, 4):
        killer.run(*args, at_write=at)
        assert integrity(data_dir / "outbox.sqlite") == "ok"
    code, output = killer.run(*args)
    assert code == 0, output
    assert killer.kills == 3
    held_now = {r.key: r for r in all_keys(dmz_store)}
    for doc in docs:
        key = doc["doi"].lower()
        if doc in docs[10:20]:
            assert held_now[key].deleted and dmz.effects(key) == ["created", "withdrawn"], key
        else:
            assert held_now[key].content_hash == from_scicat(scicat.documents[doc["doi"]]).content_hash, key
            assert dmz.effects(key) == (["created", "updated"] if doc in docs[:10] else ["created"]), key
    for i in range(40, 50):
        assert dmz.effects(f"10.99999/synccrash-{i:03d}") == ["created"]
    assert_outbox_settled(data_dir / "outbox.sqlite")


def test_push_killed_at_random_moments_loses_nothing(tmp_path: Path, dmz: LiveDMZ, dmz_store) -> None:
    data_dir = tmp_path / "intranet"
    files, docs = [], []
    for name in ("a", "b"):
        batch = [v4_document(f"10.99999/pushcrash-{name}{i:02d}", f"Pushed {name}{i}") for i in range(15)]
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(batch), encoding="utf-8")
        files.append(str(path))
        docs += batch
    killer = Killer(dmz, env_of(data_dir, dmz), seed=3)
    # Each run queues the files again and sends them in one bulk write: a kill at write 1 always lands.
    code, output, verdicts = killer.run_with_kills("push", *files, rounds=2, max_write=1, max_delay=2.4)
    assert code == 0, output
    assert killer.kills >= 2 and verdicts == ["ok"] * 3
    for doc in docs:
        assert dmz.effects(doc["doi"].lower()) == ["created"]
        assert held(dmz_store, doc["doi"]).content_hash == from_scicat(doc).content_hash
    assert_outbox_settled(data_dir / "outbox.sqlite")


def test_two_flushes_at_once_keep_order(tmp_path: Path, dmz: LiveDMZ, dmz_store) -> None:
    data_dir = tmp_path / "intranet"
    intents, effects, final = history(60)
    box = Outbox(data_dir / "outbox.sqlite")
    box.enqueue(intents)
    box.close()
    env = {**os.environ, **env_of(data_dir, dmz)}
    processes = [
        subprocess.Popen([DMZPUB, "outbox", "flush"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0].decode() for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert sorted("delivered: nothing" in out for out in outputs) == [False, True], outputs
    assert_arrived(dmz, dmz_store, effects, final)
    assert_outbox_settled(data_dir / "outbox.sqlite")
