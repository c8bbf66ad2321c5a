"""deploy/systemd: units and timers that systemd accepts, hardened, with the user and folders they need."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from download_helpers import cli_env, dmzpub, free_port, require, stop, wait_port

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "deploy" / "systemd"
WHEEL_DMZPUB = ROOT / ".venv-wheel" / "bin" / "dmzpub"
TIMERS = sorted(p.stem for p in UNITS.glob("*.timer"))
MAX_EXPOSURE = 2.0


def unit(path: Path) -> configparser.ConfigParser:
    """Read a unit file (repeated keys keep the last value, which is enough for these checks)."""
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser


def installed_root(tmp_path: Path) -> Path:
    """Lay the units out as an operator installs them, under tmp_path/etc/systemd/system."""
    system = tmp_path / "etc" / "systemd" / "system"
    shutil.copytree(UNITS, system, ignore=shutil.ignore_patterns("*.sysusers", "*.tmpfiles"))
    return tmp_path


def exposure(*args: str) -> float:
    """Return systemd-analyze's overall exposure of a unit, analysed offline."""
    analyse = require("systemd-analyze")
    result = subprocess.run([analyse, "security", "--offline=true", *args], capture_output=True, text=True)
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert found, result.stdout + result.stderr
    return float(found.group(1))


def test_server_unit_scores_at_most_2_in_systemd_analyze_security() -> None:
    assert exposure(str(UNITS / "dmzpub.service")) <= MAX_EXPOSURE


@pytest.mark.parametrize("job", TIMERS)
def test_each_job_is_hardened_as_much_through_the_shared_drop_in(job: str, tmp_path: Path) -> None:
    root = installed_root(tmp_path)
    assert exposure(f"--root={root}", f"{job}.service") <= MAX_EXPOSURE


@pytest.mark.parametrize("service", ["dmzpub-watch", "dmzpub-stage-worker@1"])
def test_the_pipeline_services_are_hardened_as_much_and_run_until_stopped(service: str, tmp_path: Path) -> None:
    root = installed_root(tmp_path)
    assert exposure(f"--root={root}", f"{service}.service") <= MAX_EXPOSURE
    own = UNITS / f"{service.split('@')[0]}{'@' if '@' in service else ''}.service.d" / "service.conf"
    assert unit(own)["Service"]["Type"] == "exec"  # not the periodic jobs' oneshot


def test_systemd_accepts_every_unit_timer_and_drop_in_as_installed(tmp_path: Path) -> None:
    """`systemd-analyze verify`, with ExecStart pointing at the installed wheel, says nothing at all."""
    for source in UNITS.rglob("*"):
        if source.is_file():
            target = tmp_path / source.relative_to(UNITS)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(source.read_text().replace("/opt/dmzpub/bin/dmzpub", str(WHEEL_DMZPUB)))
    files = [str(p) for p in sorted(tmp_path.glob("*.service")) + sorted(tmp_path.glob("*.timer"))]
    result = subprocess.run([require("systemd-analyze"), "verify", *files], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr


def test_there_is_a_timer_for_every_periodic_job() -> None:
    commands = {unit(UNITS / f"{job}.service")["Service"]["ExecStart"].split(maxsplit=1)[1] for job in TIMERS}
    assert commands == {"outbox flush", "reconcile", "cache verify --quarantine", "cache evict"}
    for job in TIMERS:
        timer = unit(UNITS / f"{job}.timer")
        assert timer["Timer"]["OnCalendar"]
        assert timer["Install"]["WantedBy"] == "timers.target"


@pytest.mark.parametrize("job", TIMERS)
def test_each_job_runs_a_real_command_of_the_installed_wheel(job: str, tmp_path: Path) -> None:
    args = unit(UNITS / f"{job}.service")["Service"]["ExecStart"].split()[1:]
    shown = subprocess.run([str(WHEEL_DMZPUB), *args, "--help"], env=cli_env(tmp_path), capture_output=True)
    assert shown.returncode == 0, shown.stderr


def test_sysusers_creates_the_system_user_without_a_login(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    subprocess.run(
        [require("systemd-sysusers"), f"--root={tmp_path}", str(UNITS / "dmzpub.sysusers")],
        check=True,
        capture_output=True,
    )
    entry = next(line for line in (tmp_path / "etc" / "passwd").read_text().splitlines() if line.startswith("dmzpub:"))
    _, _, uid, _, _, home, shell = entry.split(":")
    assert int(uid) < 1000  # a system user
    assert (home, shell) == ("/var/lib/dmzpub", "/usr/sbin/nologin")


def test_tmpfiles_creates_the_folders_and_locks_the_settings(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    subprocess.run(
        [require("systemd-sysusers"), f"--root={tmp_path}", str(UNITS / "dmzpub.sysusers")],
        check=True,
        capture_output=True,
    )
    (tmp_path / "etc" / "dmzpub").mkdir()
    for name in ("dmzpub.env", "push-tokens"):
        (tmp_path / "etc" / "dmzpub" / name).write_text("secret\n")
        os.chmod(tmp_path / "etc" / "dmzpub" / name, 0o644)  # as an editor might leave it
    tmpfiles = require("systemd-tmpfiles")
    subprocess.run([tmpfiles, f"--root={tmp_path}", "--create", str(UNITS / "dmzpub.tmpfiles")], check=True)
    passwd = (tmp_path / "etc" / "passwd").read_text().splitlines()
    uid = int(next(line for line in passwd if line.startswith("dmzpub:")).split(":")[2])
    expected = {
        "var/lib/dmzpub": (0o711, uid),
        "var/lib/dmzpub/downloads": (0o755, uid),
        "etc/dmzpub": (0o750, 0),
        "etc/dmzpub/dmzpub.env": (0o640, 0),
        "etc/dmzpub/push-tokens": (0o640, 0),
    }
    for path, (mode, owner) in expected.items():
        info = (tmp_path / path).stat()
        assert (stat.S_IMODE(info.st_mode), info.st_uid) == (mode, owner), path


def test_a_bad_setting_stops_serve_with_exit_78_which_the_unit_does_not_restart(tmp_path: Path) -> None:
    service = unit(UNITS / "dmzpub.service")["Service"]
    assert service["Restart"] == "on-failure"
    assert service["RestartPreventExitStatus"] == "78"
    assert "ExecStartPre" not in service  # systemd restarts after a failing ExecStartPre whatever its status
    result = subprocess.run(dmzpub("serve"), env=cli_env(tmp_path, DMZPUB_WORKERS="many"), capture_output=True)
    assert result.returncode == 78
    assert b"DMZPUB_WORKERS" in result.stderr
    assert b"Traceback" not in result.stderr


def serve_log(tmp_path: Path, **settings: str) -> str:
    """Start `dmzpub serve`, wait until it answers, stop it; return what it logged."""
    port = free_port()
    env = cli_env(tmp_path, DMZPUB_BIND=f"127.0.0.1:{port}", DMZPUB_WORKERS="1", **settings)
    env.pop("XDG_RUNTIME_DIR", None)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(dmzpub("serve"), env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_port(port, process, "dmzpub serve")
            import requests

            assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
        finally:
            stop(process)
    return log.read_text()


def test_a_system_user_without_a_writable_home_starts_without_control_server_errors(tmp_path: Path) -> None:
    unwritable = tmp_path / "a-file"
    unwritable.write_text("")  # nothing can be created under a file, not even by root
    logged = serve_log(tmp_path, HOME=str(unwritable / "home"))
    assert "Booting worker" in logged
    assert "Control server error" not in logged
    assert "Traceback" not in logged


def test_a_control_socket_is_made_only_where_dmzpub_control_socket_says(tmp_path: Path) -> None:
    socket_path = tmp_path / "run" / "gunicorn.ctl"
    home = tmp_path / "home"
    home.mkdir()
    logged = serve_log(tmp_path, HOME=str(home), DMZPUB_CONTROL_SOCKET=str(socket_path))
    assert "Control server error" not in logged
    assert not (home / ".gunicorn").exists()  # gunicorn's shared per-user default is not used
    assert str(socket_path) in logged  # gunicorn names it when it starts listening
