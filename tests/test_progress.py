"""One progress abstraction: staging and the publisher report to it, the command line draws it."""

from __future__ import annotations

import io
from pathlib import Path

from download_helpers import make_dataset

from catalogue_core.progress import BYTES, RECORDS, Progress
from download_cache.open_target import open_target
from download_cache.sources import Source
from download_cache.stage import Stager
from oai_server.cli.progress import LineProgress, choose


class Recorder(Progress):
    """Keep what was reported."""

    def __init__(self) -> None:
        self.stages: list[tuple[str, int | None, str, int | None]] = []
        self.units = 0
        self.outcomes: list[str] = []

    def stage(self, label: str, total: int | None = None, unit: str = RECORDS, items: int | None = None) -> None:
        self.stages.append((label, total, unit, items))

    def advance(self, n: int = 1) -> None:
        self.units += n

    def done(self, name: str, size: int, outcome: str) -> None:
        self.outcomes.append(f"{outcome} {name}")


def test_a_stage_reports_its_bytes_and_files_to_the_common_progress(tmp_path: Path) -> None:
    make_dataset(tmp_path / "src", {"a.bin": b"a" * 300, "b/c.bin": b"c" * 700})
    recorder = Recorder()
    Stager(open_target(str(tmp_path / "area")), jobs=1, progress=recorder).stage(
        "10.1/p", Source(str(tmp_path / "src"))
    )
    assert recorder.stages == [("staging 2 file(s)", 1000, BYTES, 2)]
    # Items advance the stage by default: every byte copied is counted once.
    assert recorder.units == 1000 and sorted(recorder.outcomes) == ["copied a.bin", "copied b/c.bin"]


def test_line_progress_logs_record_stages_and_numbered_items() -> None:
    out = io.StringIO()
    lines = LineProgress(out)
    lines.stage("reading SciCat (v4)", 30)
    lines.stage("staging 2 file(s)", 1000, BYTES, 2)
    lines.done("a.bin", 300, "copied")
    assert out.getvalue().splitlines() == [
        "reading SciCat (v4), 30 records",
        "staging 2 file(s), 1000 bytes",
        "[1/2] copied a.bin (300 bytes)",
    ]


def test_off_a_terminal_commands_draw_lines_or_nothing() -> None:
    assert type(choose(stream=io.StringIO())) is LineProgress
    assert type(choose(lines=False, stream=io.StringIO())) is Progress
    assert type(choose(quiet=True)) is Progress
