"""Download throughput: gunicorn streaming and nginx with X-Accel-Redirect, against nginx serving the file.

Starts real gunicorn (`dmzpub serve`) and nginx (deploy/nginx.conf, HTTPS with a self-signed
certificate) on loopback ports, stages one large file, and downloads it with curl several times
per path. Targets: through gunicorn >= 0.5 and through nginx with X-Accel >= 0.9 of nginx direct.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import requests  # noqa: E402
from conftest import v4_document  # noqa: E402
from download_helpers import gunicorn, nginx  # noqa: E402

from catalogue_core.urls import file_path  # noqa: E402
from download_cache.area import dataset_dirname  # noqa: E402
from download_cache.open_target import open_target  # noqa: E402
from download_cache.sources import Source  # noqa: E402
from download_cache.stage import Stager  # noqa: E402

DOI = "10.5555/bench-download"
TOKEN = "bench-token"


def curl(url: str, cert: str | None) -> float:
    """Download to /dev/null; return bytes per second."""
    command = ["curl", "-sS", "--fail", "-o", "/dev/null", "-w", "%{speed_download}", url]
    if cert:
        command[1:1] = ["--cacert", cert]
    return float(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    (ROOT / "var").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / "var") as scratch, ExitStack() as stack:
        tmp = Path(scratch)
        (tmp / "src").mkdir()
        with open(tmp / "src" / "data.bin", "wb") as out:
            block = os.urandom(1 << 20)
            for _ in range(args.size_mib):
                out.write(block)
        area = tmp / "area"
        area.mkdir()
        Stager(open_target(str(area))).stage(DOI, Source(str(tmp / "src")))
        paths = {}
        for accel in ("", "nginx"):
            folder = tmp / f"app-{accel or 'plain'}"
            folder.mkdir()
            settings = {"DMZPUB_DOWNLOAD_DIR": str(area), "DMZPUB_PUSH_TOKENS": TOKEN, "DMZPUB_DOWNLOAD_ACCEL": accel}
            app = stack.enter_context(gunicorn(folder, **settings))
            requests.put(
                f"{app['base']}/api/v1/published/{DOI}",
                json=v4_document(DOI),
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=30,
            ).raise_for_status()
            direct = f"\n    location /direct/ {{\n        alias {area}/;\n    }}\n" if accel else ""
            web = stack.enter_context(nginx(folder / "nginx", app["port"], area, direct))
            if accel:
                paths["nginx direct (HTTPS)"] = (f"{web['base']}/direct/{dataset_dirname(DOI)}/data.bin", web["cert"])
                paths["nginx X-Accel (HTTPS)"] = (web["base"] + file_path(DOI, "data.bin"), web["cert"])
            else:
                paths["gunicorn via nginx (HTTPS)"] = (web["base"] + file_path(DOI, "data.bin"), web["cert"])
                paths["gunicorn direct (HTTP)"] = (app["base"] + file_path(DOI, "data.bin"), None)
        for url, cert in paths.values():  # warm the page cache and the workers
            curl(url.replace("%", "%25") if "/direct/" in url else url, cert)
        speeds: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(args.rounds):
            for name, (url, cert) in paths.items():
                speeds[name].append(curl(url.replace("%", "%25") if "/direct/" in url else url, cert))
        median = {name: statistics.median(values) / (1 << 20) for name, values in speeds.items()}
        base = median["nginx direct (HTTPS)"]
        print(f"bench/download.py: one {args.size_mib} MiB file, median of {args.rounds} curl downloads per path")
        for name, value in median.items():
            print(f"  {name:<28} {value:8.1f} MiB/s  ratio {value / base:.2f}")
        print("  targets: gunicorn >= 0.5, nginx X-Accel >= 0.9 (of nginx direct)")


if __name__ == "__main__":
    main()
