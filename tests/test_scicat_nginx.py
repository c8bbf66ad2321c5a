"""SciCat through the production nginx.conf: its pushes with large thumbnails, its OAI paths, its old URLs."""

from __future__ import annotations

import base64
from pathlib import Path

import requests
from download_helpers import gunicorn, nginx
from scicat_real import REGISTER_PAIR, REGISTERED_DOI, RESYNC_PAIR, wire_body

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def test_scicat_pushes_harvests_and_old_urls_pass_through_nginx(tmp_path: Path) -> None:
    (tmp_path / "area").mkdir()
    settings = {
        "DMZPUB_SCICAT_BASIC": f"{REGISTER_PAIR} {RESYNC_PAIR}",
        "DMZPUB_PUSH_ALLOW_CIDRS": "127.0.0.0/8",
        "DMZPUB_PROXY_COUNT": "1",
        "DMZPUB_WORKERS": "1",
    }
    with gunicorn(tmp_path, **settings) as app, nginx(tmp_path / "nginx", app["port"], tmp_path / "area") as web:
        base, verify = web["base"], web["cert"]
        document = wire_body("v3-register.http")
        big = PNG + b"\0" * (12 << 20)  # a 16 MB data URL, as SciCat's frontend allows
        document["thumbnail"] = "data:image/png;base64," + base64.b64encode(big).decode()
        pushed = requests.post(
            base + "/scicat/oai/Publication", json=document, auth=tuple(REGISTER_PAIR.split(":")), verify=verify
        )
        assert pushed.status_code == 201, pushed.text
        twice = REGISTERED_DOI.replace("/", "%252F")
        resync = requests.put(
            f"{base}/scicat/oai/Publication/{twice}",
            json={"title": "Corrected"},
            auth=tuple(RESYNC_PAIR.split(":")),
            verify=verify,
        )
        assert resync.status_code == 200 and resync.json()["status"] == "updated", resync.text
        for path in (f"/doi/{twice}", f"/detail/{twice}", f"/detail/{REGISTERED_DOI}"):
            old = requests.get(base + path, verify=verify, allow_redirects=False)
            assert old.status_code == 301 and old.headers["Location"].endswith(f"/doi/{REGISTERED_DOI}"), path
        for path in ("/scicat/oai", "/openaire/oai", "/panosc/oai"):
            answer = requests.get(base + path, params={"verb": "Identify"}, verify=verify)
            assert answer.status_code == 200 and answer.text.count(path + "</baseURL>") == 1, answer.text
        image = requests.get(f"{base}/doi/{REGISTERED_DOI}/thumbnail", verify=verify)
        assert image.status_code == 200 and image.content == big
