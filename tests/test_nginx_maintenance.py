"""deploy/nginx.conf in real nginx: a static maintenance page (503, Retry-After) while dmzpub is down."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from download_helpers import free_port, gunicorn, nginx

MAINTENANCE = "Back in a few minutes"


def call(web: dict[str, Any], method: str, path: str) -> requests.Response:
    return requests.request(method, str(web["base"]) + path, verify=web["cert"], timeout=30, allow_redirects=False)


def assert_maintenance(response: requests.Response) -> None:
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Retry-After"] == "120"
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert MAINTENANCE in response.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/doi/10.1234/abc"),
        ("GET", "/oai?verb=Identify"),
        ("GET", "/download/10.1234/abc/file.dat"),
        ("HEAD", "/doi/10.1234/abc"),
        ("PUT", "/api/v1/published/10.1234/abc"),  # nginx turns it into GET of the page, never a 405
    ],
)
def test_every_route_answers_the_maintenance_page_when_the_app_is_down(tmp_path: Path, method: str, path: str) -> None:
    nobody_listens = free_port()
    with nginx(tmp_path / "nginx", nobody_listens, tmp_path) as web:
        response = call(web, method, path)
    if method == "HEAD":
        assert response.status_code == 503 and response.headers["Retry-After"] == "120"
    else:
        assert_maintenance(response)


def test_the_page_appears_when_the_app_stops_and_the_apps_own_errors_pass_untouched(tmp_path: Path) -> None:
    (tmp_path / "area").mkdir()
    app_server = gunicorn(tmp_path, DMZPUB_PROXY_COUNT="1")
    app = app_server.__enter__()
    try:
        with nginx(tmp_path / "nginx", app["port"], tmp_path / "area") as web:
            assert call(web, "GET", "/healthz").status_code == 200
            not_found = call(web, "GET", "/doi/10.1234/nothing-here")
            assert not_found.status_code == 404
            assert MAINTENANCE not in not_found.text
            app_server.__exit__(None, None, None)  # the app stops; nginx keeps running
            assert_maintenance(call(web, "GET", "/doi/10.1234/nothing-here"))
    finally:
        app_server.__exit__(None, None, None)
