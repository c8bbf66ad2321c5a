"""`dmzpub sync` draws a progress bar on a terminal, and nothing when its output is not one."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
import time

import pytest
from conftest import TOKEN

from .conftest import SCICAT_TOKEN, documents
from .servers import LiveDMZ, SciCatStandIn


@pytest.fixture
def store_kind() -> str:
    """The bar does not depend on the DMZ's store: one is enough."""
    return "sqlite"


def run_sync(dmz: LiveDMZ, scicat: SciCatStandIn, data_dir: str, terminal: bool) -> str:
    """Run `dmzpub sync` as a separate process; return what it wrote to stderr."""
    env = {
        **os.environ,
        "DMZPUB_DATA_DIR": data_dir,
        "DMZPUB_PUSH_URL": dmz.url,
        "DMZPUB_PUSH_TOKEN": TOKEN,
        "DMZPUB_SCICAT_URL": scicat.url,
        "DMZPUB_SCICAT_TOKEN": SCICAT_TOKEN,
    }
    command = [sys.executable, "-c", "from oai_server.cli import run; run()", "sync", "--page-size", "10"]
    if not terminal:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=True)
        return done.stderr
    primary, secondary = pty.openpty()
    # A fresh pty is 0 columns wide, which leaves a bar no room at all.
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    with subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=secondary) as process:
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the terminal closes when the process ends
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait(timeout=120) == 0
    os.close(primary)
    return b"".join(chunks).decode(errors="replace")


def leave_some_for_after_the_read(dmz: LiveDMZ, scicat: SciCatStandIn) -> None:
    """Make sure entries are left to deliver when the read ends, so the delivery draws its own bar.

    The sync delivers while it reads: a deliverer that keeps up leaves nothing after the read and draws
    no bar. The last page waits for the first delivery to arrive, which waits until the read is over.
    """
    arrived, last_page = threading.Event(), threading.Event()

    def last_page_waits(skip: int) -> None:
        if skip >= 20:  # the last page holding documents (30 in pages of 10)
            assert arrived.wait(30)
            last_page.set()

    def first_write_waits(count: int) -> None:
        if count == 1:
            arrived.set()
            assert last_page.wait(30)
            time.sleep(1.0)  # the reader queues the last page and ends its read meanwhile (milliseconds)

    scicat.before_page, dmz.before_write = last_page_waits, first_write_waits


def test_progress_bar_only_on_a_terminal(dmz: LiveDMZ, scicat: SciCatStandIn, tmp_path) -> None:
    scicat.documents = {d["doi"]: d for d in documents(30)}
    leave_some_for_after_the_read(dmz, scicat)
    drawn = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", run_sync(dmz, scicat, str(tmp_path / "a"), terminal=True))
    assert "reading SciCat (v4)" in drawn and "30/30 records" in drawn
    assert "delivering" in drawn

    scicat.before_page = dmz.before_write = None
    scicat.documents = {d["doi"]: d for d in documents(30, prefix="10.99999/other")}
    quiet = run_sync(dmz, scicat, str(tmp_path / "b"), terminal=False)
    assert "reading SciCat" not in quiet and "delivering" not in quiet
