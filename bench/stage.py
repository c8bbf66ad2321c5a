"""Time `dmzpub stage` against `cp` followed by `sha256sum` of the same files, in the same run.

Staging reads each source byte once (hashing while copying) and fsyncs every file before its
rename; `cp && sha256sum` reads the data twice and syncs nothing, so a third figure adds `sync`.
Prints the median of several alternating rounds; target: staging / (cp + sha256sum) <= 1.0.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from download_cache.open_target import open_target
from download_cache.sources import Source
from download_cache.stage import Stager


def make_source(folder: Path, files: int, size: int) -> int:
    """Write `files` random files of `size` bytes (plus a few small ones); return the total bytes."""
    block = os.urandom(1 << 20)
    total = 0
    for i in range(files):
        path = folder / f"run{i // 4}" / f"frame{i:04d}.h5"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as out:
            for _ in range(size >> 20):
                out.write(block[i % 7 :] + block[: i % 7])
        total += path.stat().st_size
    for i in range(20):
        (folder / f"meta{i}.json").write_text(f'{{"frame": {i}}}\n')
        total += (folder / f"meta{i}.json").stat().st_size
    return total


def cp_sha(src: Path, dst: Path, sync: bool) -> float:
    started = time.perf_counter()
    subprocess.run(["cp", "-r", str(src), str(dst)], check=True)
    files = [str(p) for p in dst.rglob("*") if p.is_file()]
    subprocess.run(["sha256sum", *files], check=True, stdout=subprocess.DEVNULL)
    if sync:
        subprocess.run(["sync"], check=True)
    return time.perf_counter() - started


def stage(src: Path, area: Path, jobs: int) -> float:
    started = time.perf_counter()
    Stager(open_target(str(area)), jobs=jobs).stage("10.5555/bench", Source(str(src)))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=24)
    parser.add_argument("--size-mib", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--dir", default=None, help="Scratch folder (default: a temporary one under ./var)")
    args = parser.parse_args()
    Path("var").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.dir or "var") as scratch:
        root = Path(scratch)
        total = make_source(root / "src", args.files, args.size_mib << 20)
        subprocess.run(["sync"], check=True)
        times: dict[str, list[float]] = {"stage": [], "cp+sha256sum": [], "cp+sha256sum+sync": []}
        for _ in range(args.rounds):
            for name in times:
                out = root / "out"
                shutil.rmtree(out, ignore_errors=True)
                subprocess.run(["sync"], check=True)
                out.mkdir()
                if name == "stage":
                    times[name].append(stage(root / "src", out, args.jobs))
                else:
                    times[name].append(cp_sha(root / "src", out / "copy", name.endswith("sync")))
        median = {name: statistics.median(values) for name, values in times.items()}
        mib = total / (1 << 20)
        print(f"bench/stage.py: {args.files + 20} files, {mib:.0f} MiB, {args.rounds} rounds, jobs={args.jobs}")
        for name, value in median.items():
            print(f"  {name:<20} {value:7.3f} s  {mib / value:8.1f} MiB/s")
        print(
            f"  ratio stage / (cp + sha256sum)        = {median['stage'] / median['cp+sha256sum']:.2f}  (target <= 1.0)"
        )
        print(f"  ratio stage / (cp + sha256sum + sync) = {median['stage'] / median['cp+sha256sum+sync']:.2f}")


if __name__ == "__main__":
    main()
