"""/metrics gives operators the store's and the download area's state in Prometheus format."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import Pusher, v4_document

from oai_server import metrics


def samples(text: str) -> dict[str, float]:
    """Return {metric{labels}: value} of an exposition, checking every line's syntax."""
    out = {}
    for line in text.splitlines():
        if line.startswith("# "):
            assert re.match(r"^# (HELP|TYPE) dmzpub_\w+ ", line), line
            continue
        match = re.match(r'^(dmzpub_\w+(?:\{[a-z_]+="[^"]*"(?:,[a-z_]+="[^"]*")*\})?) (\S+)$', line)
        assert match, line
        out[match.group(1)] = float(match.group(2))
    return out


@pytest.fixture(autouse=True)
def fresh_area_cache() -> None:
    metrics._area_cache.clear()


def test_metrics_follow_pushes_withdrawals_and_staging(pusher: Pusher, client: Any, app: Any) -> None:
    from oai_server.cli.dmz import stage_demo_files

    empty = client.get("/metrics")
    assert empty.status_code == 200 and empty.content_type.startswith("text/plain; version=0.0.4")
    before = samples(empty.get_data(as_text=True))
    assert before['dmzpub_records{state="published"}'] == 0 and before["dmzpub_store_up"] == 1
    assert "dmzpub_latest_datestamp_seconds" not in before
    for n in range(3):
        pusher.put(v4_document(f"10.1234/m-{n}"))
    written = pusher.withdraw("10.1234/m-1").get_json()["datestamp"]
    stage_demo_files(app.config["DMZPUB_DOWNLOAD_DIR"])
    metrics._area_cache.clear()
    after = samples(client.get("/metrics").get_data(as_text=True))
    assert after['dmzpub_records{state="published"}'] == 2 and after['dmzpub_records{state="withdrawn"}'] == 1
    from datetime import datetime

    assert after["dmzpub_latest_datestamp_seconds"] == datetime.fromisoformat(written).timestamp()
    assert after['dmzpub_download_datasets{state="staged"}'] == 1 and after["dmzpub_download_staged_bytes"] > 0


def test_metrics_report_a_store_that_is_down(app_config: dict[str, Any], tmp_path: Any, store_kind: str) -> None:
    from oai_server import create_app

    blocker = tmp_path / "file"
    blocker.write_text("")
    config = {**app_config, "DMZPUB_DATA_DIR": str(blocker / "sub")}
    if store_kind == "mongo":
        config["DMZPUB_MONGO_URI"] = "mongodb://127.0.0.1:1/dmzpub?serverSelectionTimeoutMS=200&connectTimeoutMS=200"
    response = create_app(config).test_client().get("/metrics")
    assert response.status_code == 200
    assert samples(response.get_data(as_text=True))["dmzpub_store_up"] == 0
