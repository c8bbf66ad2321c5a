"""The record page's fast route answers exactly what the Flask view answers, and leaves everything else to Flask."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from landing_data import RICH_DOI, RICH_KEY, hostile_document, mark, rich_document, stage
from werkzeug.datastructures import Headers

from catalogue_core.errors import StoreUnavailable
from catalogue_core.urls import LANDING_PREFIX
from download_cache.area import dataset_dirname
from landing import views
from landing.context import state_of
from landing.security import HTML_HEADERS
from oai_server import create_app, fast_routes
from oai_server.store import of as store_of

PAGE = "/doi/" + RICH_KEY
HOSTILE = "10.1234/hostile-1"
ROUTE = LANDING_PREFIX + "*"
OWN_SECTION = """<section id="files">{{ request.path }} {{ downloads.state }} {{ publisher }}</section>"""
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def _app(folder: Path, fast: bool = True, **extra: str) -> Flask:
    settings = {"DMZPUB_DATA_DIR": str(folder / "var"), "DMZPUB_DOWNLOAD_DIR": str(folder / "downloads"), **extra}
    app = create_app({**settings, "DMZPUB_PUSH_TOKENS": "t", "DMZPUB_BASE_URL": "https://data.example.org"})
    if not fast:
        fast_routes.routes_of(app).routes.pop(ROUTE)
        fast_routes.routes_of(app).add({})
    return app


@pytest.fixture
def apps(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Flask, Flask, list[str]]]:
    """Return an app with the fast route, one without (the Flask view alone) on the same store, and who answered."""
    extra = dict(getattr(request, "param", {}))
    if "DMZPUB_TEMPLATE_DIR" in extra:  # a facility's own download section
        folder = tmp_path / extra["DMZPUB_TEMPLATE_DIR"]
        (folder / "landing").mkdir(parents=True)
        (folder / "landing" / "downloads.html").write_text(OWN_SECTION)
        extra["DMZPUB_TEMPLATE_DIR"] = str(folder)
    fast, flask = _app(tmp_path, **extra), _app(tmp_path, fast=False, **extra)
    auth = {"Authorization": "Bearer t"}
    for doc in (rich_document(), hostile_document()):
        assert fast.test_client().put(f"/api/v1/published/{doc['doi']}", json=doc, headers=auth).status_code == 201
    answered: list[str] = []
    routes = fast_routes.routes_of(fast)
    handler = routes.routes[ROUTE]

    def counted(environ: dict[str, Any]) -> Any:
        answered.append("raised")
        answer = handler(environ)
        answered[-1] = "fast" if answer is not None else "flask"
        return answer

    routes.add({ROUTE: counted})
    yield fast, flask, answered
    store_of(fast).close()
    store_of(flask).close()


def _answer(app: Flask, method: str, path: str, **headers: str) -> tuple[str, list[tuple[str, str]], bytes]:
    response = app.test_client().open(path, method=method, headers=headers)
    kept = [(name, value) for name, value in response.headers.items() if name != "X-Request-ID"]
    return response.status, kept, response.data


def _same(apps: tuple[Flask, Flask, list[str]], method: str, path: str, **headers: str) -> tuple[str, Any, bytes]:
    fast, flask, _ = apps
    answer = _answer(fast, method, path, **headers)
    assert answer == _answer(flask, method, path, **headers)
    return answer


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("accept", ["", "*/*", BROWSER, "text/html"])
def test_a_record_page_from_the_fast_route_is_the_flask_views_answer_byte_for_byte(
    apps: tuple[Flask, Flask, list[str]], tmp_path: Path, method: str, accept: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    first = _same(apps, method, PAGE, **headers)
    assert first[0] == "200 OK" and ("Vary", "Accept") in first[1]
    assert _same(apps, method, PAGE, **headers) == first  # cached
    etag = dict(first[1])["ETag"]
    not_modified = _same(apps, method, PAGE, **{"If-None-Match": etag, **headers})
    assert not_modified[0] == "304 NOT MODIFIED" and not_modified[2] == b""
    assert _same(apps, method, PAGE, **{"If-None-Match": '"other"', **headers})[0] == "200 OK"
    stage(tmp_path / "downloads", RICH_KEY)  # the download section is live: the next answer shows the files
    staged = _same(apps, method, PAGE, **headers)
    assert staged[0] == "200 OK" and dict(staged[1])["ETag"] != etag
    mark(tmp_path / "downloads", RICH_KEY, "evicted")
    assert _same(apps, method, PAGE, **headers) != staged
    assert apps[2] and set(apps[2]) == {"fast"}


def test_a_withdrawn_record_and_a_hostile_one_get_the_flask_views_pages(apps: tuple[Flask, Flask, list[str]]) -> None:
    hostile = "/doi/" + HOSTILE
    assert _same(apps, "GET", hostile)[0] == "200 OK"
    assert apps[0].test_client().delete(f"/api/v1/published/{RICH_DOI}", headers={"Authorization": "Bearer t"})
    gone = _same(apps, "GET", PAGE)
    assert gone[0] == "410 GONE" and b"withdrawn" in gone[2].lower()
    assert set(apps[2]) == {"fast"}


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        (PAGE + "/datacite.xml", {}),  # an export
        (PAGE + "/linkset", {}),
        (PAGE, {"Accept": "application/vnd.datacite.datacite+xml"}),  # negotiated
        (PAGE, {"Accept": "text/turtle, text/html;q=0.5"}),  # negotiated, to HTML
        ("/doi/" + RICH_KEY.upper(), {}),  # another spelling: redirected
        ("/doi/10.17199%252Fess-2025-00042", {}),  # SciCat v3's twice-encoded DOI
        ("/doi/10.1234/nope", {}),  # not found: the HTML 404 page
        ("/doi/not-a-doi", {}),
        ("/doi/", {}),
    ],
)
def test_whatever_is_not_a_canonical_page_in_html_is_left_to_flask(
    apps: tuple[Flask, Flask, list[str]], path: str, headers: dict[str, str]
) -> None:
    _same(apps, "GET", path, **headers)
    assert set(apps[2]) <= {"flask"}


def test_a_store_that_fails_gets_the_flask_views_503_page_from_the_fast_route(
    apps: tuple[Flask, Flask, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from catalogue_core.store.sqlite import SQLiteRepository

    def fail(self: Any, *args: Any) -> Any:
        raise StoreUnavailable("disk gone")

    for read in ("generation", "page_read"):  # a cached page's read and a page's not cached
        monkeypatch.setattr(SQLiteRepository, read, fail)
    status, headers, body = _same(apps, "GET", PAGE)
    assert status == "503 SERVICE UNAVAILABLE" and ("Retry-After", "30") in headers and b"<html" in body.lower()
    assert apps[2] == ["raised"]  # the fast route raised; Flask's error handler answered


def _rendered_without_request(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record, per page rendered by the fast route, whether it needed no request context."""
    seen: list[bool] = []
    original = views.render_from_memos

    def recorded(*args: Any) -> Any:
        done = original(*args)
        seen.append(done is not None)
        return done

    monkeypatch.setattr(views, "render_from_memos", recorded)
    return seen


def test_pages_not_cached_are_rendered_without_a_request_once_frame_and_section_are_known(
    apps: tuple[Flask, Flask, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _rendered_without_request(monkeypatch)
    shown = {"absent": "on request", "staging": "being prepared", "staged": "Download all", "evicted": "removed"}
    for state, text in shown.items():
        if state == "staged":
            stage(tmp_path / "downloads", RICH_KEY)
        elif state != "absent":
            mark(tmp_path / "downloads", RICH_KEY, state)
        first = _same(apps, "GET", PAGE)  # the first of its kind in this process: rendered in a request
        assert text in first[2].decode()
        state_of(apps[0]).pages.clear()
        assert _same(apps, "GET", PAGE) == first  # rendered again, now from the memos
    assert len(seen) == 8 and seen[0] is False and seen[1::2] == [True] * 4


def test_a_page_not_cached_under_the_apps_own_json_settings_is_rendered_from_the_memos_too(
    apps: tuple[Flask, Flask, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _rendered_without_request(monkeypatch)
    for app in apps[:2]:  # keys unsorted: the JSON-LD's distribution goes through the app's JSON (an app context)
        app.jinja_env.policies["json.dumps_kwargs"] = {"sort_keys": False}
        state_of(app).frames.clear()  # the push noted the JSON settings it met
    stage(tmp_path / "downloads", RICH_KEY)
    first = _same(apps, "GET", PAGE)
    state_of(apps[0]).pages.clear()
    assert _same(apps, "GET", PAGE) == first and seen == [False, True]
    assert '"distribution": [{"@type": "DataDownload", "name": "Whole dataset (ZIP)"' in first[2].decode()


@pytest.mark.parametrize("apps", [{"DMZPUB_TEMPLATE_DIR": "templates"}], indirect=True)
def test_a_facilitys_own_download_section_that_reads_the_request_is_rendered_in_one(
    apps: tuple[Flask, Flask, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _rendered_without_request(monkeypatch)
    stage(tmp_path / "downloads", RICH_KEY)
    _same(apps, "GET", "/doi/" + HOSTILE)
    first = _same(apps, "GET", PAGE)
    assert f"{PAGE} staged" in first[2].decode()
    assert seen == [False, False]


KEY_CHARACTERS = "abcXYZ0189_.-~/%:;?#[]@!$&'()*+,= é数\u2028\t"


def test_a_dataset_folder_name_is_quotes_own_for_every_key() -> None:
    rng = random.Random(13)
    keys = [RICH_KEY, HOSTILE, "10.5555/a-b_c.d~e", "", "/", "%2F", "10.1/É"]
    keys += ["".join(rng.choices(KEY_CHARACTERS, k=rng.randint(0, 24))) for _ in range(3000)]
    keys += ["10.17199/" + "".join(rng.choices("abcdef0123456789-._~/", k=rng.randint(1, 30))) for _ in range(1000)]
    for key in keys:
        assert dataset_dirname(key) == quote(key, safe=""), key


def test_page_headers_are_werkzeugs_and_a_link_with_a_newline_is_refused_as_werkzeug_refuses_it() -> None:
    _, _, headers, etag = views._rendered("<p>page</p>", '<https://x.example/a>; rel="cite-as"', status=200)
    expected = {"Link": '<https://x.example/a>; rel="cite-as"', **HTML_HEADERS}
    expected.update({"Cache-Control": views.CACHE, "ETag": f'"{etag}"'})
    assert headers == Headers(expected).to_wsgi_list()
    assert views._rendered("gone", "<a>", status=410)[2] == Headers({"Link": "<a>", **HTML_HEADERS}).to_wsgi_list()
    for bad in ("<a>\n<b>", "<a>\r<b>"):
        with pytest.raises(ValueError) as ours:
            views._rendered("x", bad, status=200)
        with pytest.raises(ValueError) as theirs:
            Headers({"Link": bad})
        assert str(ours.value) == str(theirs.value)
