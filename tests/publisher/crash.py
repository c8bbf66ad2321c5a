"""Run `dmzpub` intranet commands as real processes and kill them with SIGKILL at chosen moments."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from .servers import LiveDMZ

DMZPUB = str(Path(sys.executable).with_name("dmzpub"))


def integrity(outbox: Path) -> str:
    """Return SQLite's verdict on the outbox file ('ok' when sound), read through a fresh connection."""
    with sqlite3.connect(outbox, timeout=30) as db:
        verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()
    return verdict


class Killer:
    """Start one command at a time and kill it -9 either after a delay or when the DMZ commits write n."""

    def __init__(self, dmz: LiveDMZ, env: Mapping[str, str], seed: int) -> None:
        self.dmz, self.env = dmz, {**os.environ, **env}
        self.random = random.Random(seed)
        self.kills = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._kill_at_write: int | None = None
        dmz.after_write = self._after_write

    def _after_write(self, writes: int) -> None:
        # The write is committed on the DMZ; the client dies before it reads the reply.
        if self._kill_at_write is not None and writes >= self._kill_at_write:
            self._kill_at_write = None
            self._kill()

    def _kill(self) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            self.kills += 1

    def run(self, *args: str, delay: float | None = None, at_write: int | None = None) -> tuple[int, str]:
        """Run `dmzpub args`; kill it after `delay` seconds or at DMZ write `at_write`; return (code, output)."""
        self._kill_at_write = None if at_write is None else self.dmz.writes + at_write
        self._process = subprocess.Popen(
            [DMZPUB, *args], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        timer = threading.Timer(delay, self._kill) if delay is not None else None
        if timer is not None:
            timer.start()
        try:
            output, _ = self._process.communicate(timeout=120)
        finally:
            if timer is not None:
                timer.cancel()
            self._kill_at_write = None
        return self._process.returncode, output.decode(errors="replace")

    def run_with_kills(self, *args: str, rounds: int, max_write: int, max_delay: float) -> tuple[int, str, list[str]]:
        """Run the command killed at `rounds` random DMZ writes, then once at a random time, then in peace.

        Returns the last run's exit code and output, and the outbox integrity verdict after each killed run.
        """
        verdicts = []
        outbox = Path(self.env["DMZPUB_DATA_DIR"]) / "outbox.sqlite"
        for _ in range(rounds):
            self.run(*args, at_write=self.random.randint(1, max_write))
            verdicts.append(integrity(outbox))
        # Lands anywhere: starting up, queueing, delivering, recording, or after the end.
        self.run(*args, delay=self.random.uniform(1.0, max_delay))
        verdicts.append(integrity(outbox))
        code, output = self.run(*args)
        return code, output, verdicts
