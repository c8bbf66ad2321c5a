"""The Containerfile built by podman on a Debian base made here, run through chroot; compose and Kubernetes linted.

Containers cannot run on these machines, but `podman build --isolation chroot` works: the image is
built from a base made with mmdebstrap (cached in podman's storage between runs), then its
entrypoint runs through `chroot` on the mounted image, as the image's user, in a PID namespace of
its own (so dumb-init is PID 1 as in a container), and is smoke-tested on loopback.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from conftest import SHARED
from download_helpers import free_port, require, stop, wait_port

ROOT = Path(__file__).resolve().parents[1]
KUBERNETES = ROOT / "deploy" / "kubernetes"
SUITE = "bookworm"
BASE_PACKAGES = "python3,python3-venv,ca-certificates"
# pip inside the build must trust what this host trusts (a TLS-inspecting proxy, say).
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
BASE_LOCK = Path("/var/tmp/dmzpub-test-base.lock")  # one base build per machine, shared by every checkout
TOKEN = "container-smoke-token"

pytestmark = pytest.mark.container


def podman(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run podman; fail with its output."""
    result = subprocess.run([require("podman"), *args], capture_output=True, text=True)
    if check and result.returncode:
        raise RuntimeError(f"podman {' '.join(args[:3])} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


def digest(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()[:12]


def base_image() -> str:
    """Return a Debian base with python3, made with mmdebstrap once per recipe and kept in podman's storage."""
    recipe = f"{SUITE} {BASE_PACKAGES} {digest(HOST_CA.read_bytes())}"
    tag = f"localhost/dmzpub-test-base:{digest(recipe)}"
    with BASE_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second suite waits for the first one's base, then reuses it
        if podman("image", "exists", tag, check=False).returncode == 0:
            return tag
        with tempfile.TemporaryDirectory(dir="/var/tmp", prefix="dmzpub-base-") as folder:
            tar = Path(folder) / "base.tar"
            subprocess.run(
                [
                    *(require("mmdebstrap"), "--variant=minbase", "--mode=root", f"--include={BASE_PACKAGES}"),
                    *("--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-exclude=/usr/share/man/*"),
                    f"--customize-hook=copy-in {HOST_CA} /etc/ssl/certs",
                    *("--quiet", SUITE, str(tar)),
                ],
                check=True,
                capture_output=True,
            )
            podman("import", str(tar), tag)
    return tag


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    """Build the Containerfile; print how long the base and the build took."""
    started = time.monotonic()
    base = base_image()
    based = time.monotonic()
    tag = f"localhost/dmzpub-test:{digest(str(ROOT))}"  # one per checkout
    previous = podman("image", "inspect", "--format", "{{.Id}}", tag, check=False).stdout.strip()
    podman(
        *("build", "--isolation", "chroot", "--format", "docker", "--build-arg", f"BASE_IMAGE={base}"),
        *("-t", tag, "-f", str(ROOT / "Containerfile"), str(ROOT)),
    )
    print(f"container image: base {based - started:.0f} s, build {time.monotonic() - based:.0f} s", file=sys.stderr)
    if previous and previous != podman("image", "inspect", "--format", "{{.Id}}", tag).stdout.strip():
        # The build of an older checkout; its build-stage layers stay as the cache of the next build.
        podman("rmi", previous, check=False)
    yield tag


@pytest.fixture(scope="module")
def inspected(image: str) -> dict[str, Any]:
    return json.loads(podman("image", "inspect", image).stdout)[0]


@contextmanager
def rootfs(image: str) -> Iterator[Path]:
    """Mount a fresh container's writable root file system (the container itself never runs)."""
    container = podman("create", image).stdout.strip()
    try:
        yield Path(podman("mount", container).stdout.strip())
    finally:
        podman("umount", container, check=False)
        podman("rm", "--force", container, check=False)


def in_image(root: Path, config: dict[str, Any], command: list[str], **env: str) -> list[str]:
    """Return the command line running `command` as the image would: its user, environment and folder, PID 1 first."""
    environment = dict(item.split("=", 1) for item in config["Env"]) | env
    return [
        *(require("unshare"), "--pid", "--fork", f"--mount-proc={root}/proc"),
        *(require("chroot"), f"--userspec={config['User']}", str(root)),
        *("/usr/bin/env", "-i", "-C", config["WorkingDir"]),
        *(f"{name}={value}" for name, value in environment.items()),
        *command,
    ]


def children(pid: int) -> list[int]:
    """Return the host PIDs of a process's children."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def test_containerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [Path(sys.executable).parent / "hadolint", str(ROOT / "Containerfile")], capture_output=True
    )
    assert result.returncode == 0, result.stdout.decode()


def test_compose_and_kubernetes_files_pass_yamllint() -> None:
    targets = [str(ROOT / "compose.yaml"), str(KUBERNETES)]
    config = str(ROOT / ".yamllint.yaml")
    result = subprocess.run([sys.executable, "-m", "yamllint", "--strict", "-c", config, *targets], capture_output=True)
    assert result.returncode == 0, result.stdout.decode()


def test_kubernetes_manifests_are_valid_resources_listed_by_their_kustomization() -> None:
    for folder in (KUBERNETES, KUBERNETES / "intranet"):
        listed = yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"]
        assert sorted(listed) == sorted(p.name for p in folder.glob("*.yaml") if p.name != "kustomization.yaml")
        files = [str(folder / name) for name in listed]
        validate = Path(sys.executable).parent / "kubernetes-validate"
        result = subprocess.run([validate, "--strict", "--quiet", *files], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def manifests() -> list[dict[str, Any]]:
    return [doc for path in sorted(KUBERNETES.rglob("*.yaml")) for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_kubernetes_deployment_probes_healthz_as_a_non_root_user_with_tokens_from_a_secret() -> None:
    deployment = next(doc for doc in manifests() if doc["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert {v["name"]: v for v in pod["volumes"]}["tokens"]["secret"]["secretName"] == "dmzpub"
    claims = {v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v}
    assert claims == {"dmzpub-downloads"}
    jobs = {doc["metadata"]["name"] for doc in manifests() if doc["kind"] == "CronJob"}
    assert jobs == {"dmzpub-outbox-flush", "dmzpub-reconcile", "dmzpub-cache-verify", "dmzpub-cache-evict"}


def test_compose_puts_nginx_in_front_with_mongodb_and_the_intranet_side_in_its_own_profile() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"nginx", "dmzpub", "mongo", "outbox-flush", "reconcile"}
    assert services["dmzpub"]["network_mode"] == "service:nginx"
    assert services["dmzpub"]["environment"]["DMZPUB_BIND"] == "127.0.0.1:8080"
    assert "server 127.0.0.1:8080;" in (ROOT / "deploy" / "nginx.conf").read_text()  # the upstream it names
    for mount in services["nginx"]["volumes"]:
        source = mount.split(":")[0]
        if source.startswith("./deploy/") and "tls" not in source:
            assert (ROOT / source).is_file(), source
    assert services["outbox-flush"]["profiles"] == services["reconcile"]["profiles"] == ["intranet"]
    assert all("profiles" not in services[name] for name in ("nginx", "dmzpub", "mongo"))


def test_image_runs_as_non_root_under_dumb_init_with_a_healthcheck(inspected: dict[str, Any]) -> None:
    config = inspected["Config"]
    assert config["User"] == "10001:10001"
    assert config["Entrypoint"] == ["/opt/dmzpub/bin/dumb-init", "--", "/opt/dmzpub/bin/dmzpub"]
    assert config["Cmd"] == ["serve"]
    assert config["StopSignal"] == "SIGTERM"
    assert "/var/lib/dmzpub" in config["Volumes"]
    assert (inspected.get("Healthcheck") or config.get("Healthcheck"))["Test"][0] == "CMD"


def test_final_image_has_no_compiler_no_sources_and_no_pip_cache(image: str) -> None:
    with rootfs(image) as root:
        binaries = {p.name for folder in ("usr/bin", "usr/local/bin") for p in (root / folder).iterdir()}
        assert not binaries & {"gcc", "cc", "c++", "g++", "clang", "make", "ld", "as"}
        assert not (root / "src").exists()
        assert not (root / "root" / ".cache" / "pip").exists()
        assert (root / "opt/dmzpub/bin/dmzpub").exists()


def test_entrypoint_serves_on_loopback_passes_its_healthcheck_and_stops_gracefully(
    image: str, inspected: dict[str, Any]
) -> None:
    config = inspected["Config"]
    port = free_port()
    settings = {"DMZPUB_BIND": f"127.0.0.1:{port}", "DMZPUB_PUSH_TOKENS": TOKEN}
    with rootfs(image) as root, tempfile.TemporaryFile() as log:
        command = in_image(root, config, [*config["Entrypoint"], *config["Cmd"]], **settings)
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            try:
                wait_port(port, process, "the image's entrypoint", timeout=60)
            except RuntimeError:
                log.seek(0)
                raise RuntimeError(log.read().decode(errors="replace")) from None
            base = f"http://127.0.0.1:{port}"
            doi = "10.99999/container-smoke"
            document = json.loads((SHARED / "examples/scicat/v4-public-minimal.json").read_text())
            document["doi"] = doi
            auth = {"Authorization": f"Bearer {TOKEN}"}
            assert requests.put(f"{base}/api/v1/published/{doi}", json=document, headers=auth, timeout=30).ok
            page = requests.get(f"{base}/doi/{doi}", timeout=30)
            assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
            assert requests.get(f"{base}/oai?verb=Identify", timeout=30).status_code == 200
            assert requests.get(f"{base}/assets/landing.css", timeout=30).status_code == 200

            health = (inspected.get("Healthcheck") or config.get("Healthcheck"))["Test"][1:]
            checked = subprocess.run(in_image(root, config, health, **settings), capture_output=True)
            assert checked.returncode == 0, checked.stderr

            (init,) = children(process.pid)  # the namespace's PID 1
            assert Path(f"/proc/{init}/cmdline").read_bytes().split(b"\0")[0].endswith(b"dumb-init")
            (arbiter,) = children(init)
            assert b"serve" in Path(f"/proc/{arbiter}/cmdline").read_bytes()
            assert os.stat(f"/proc/{arbiter}").st_uid == 10001
            os.kill(init, signal.SIGTERM)
            assert process.wait(60) == 0
        finally:
            stop(process)
        log.seek(0)
        logged = log.read().decode(errors="replace")
    assert "Handling signal: term" in logged and "Shutting down: Master" in logged
    assert "Traceback" not in logged and "Control server error" not in logged


def test_every_job_the_orchestration_runs_is_a_command_of_the_image(image: str, inspected: dict[str, Any]) -> None:
    config = inspected["Config"]
    jobs = [
        container["args"]
        for doc in manifests()
        if doc["kind"] == "CronJob"
        for container in doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    ]
    assert len(jobs) == 4
    with rootfs(image) as root:
        for args in [*jobs, ["--version"]]:
            command = in_image(root, config, [*config["Entrypoint"], *args, "--help"])
            shown = subprocess.run(command, capture_output=True, text=True)
            assert shown.returncode == 0, (args, shown.stderr)
