"""Sitemaps are rendered once per store generation, whatever the number of workers and requests."""

from __future__ import annotations

import concurrent.futures
import urllib.error
import urllib.request
from pathlib import Path

from download_helpers import gunicorn
from test_store_contract import entry

from catalogue_core.store import schema
from catalogue_core.store.sqlite import SQLiteRepository
from landing.sitemap_cache import SitemapCache


def _fill(path: Path, numbers: range) -> None:
    repo = SQLiteRepository(path)
    try:
        schema.check(repo)
        repo.put([entry(repo, n) for n in numbers])
    finally:
        repo.close()


def _hammer(base: str, clients: int = 16, requests: int = 64) -> set[bytes]:
    def get(_: int) -> bytes:
        with urllib.request.urlopen(f"{base}/sitemap.xml", timeout=60) as response:
            return response.read()

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        return set(pool.map(get, range(requests)))


def _renders(log: Path) -> int:
    return log.read_text().count("rendering sitemap sitemap.xml")


def test_sixteen_clients_on_two_workers_cost_one_render_per_store_change(tmp_path: Path) -> None:
    store = tmp_path / "var" / "dmzpub.sqlite"
    _fill(store, range(30))
    with gunicorn(tmp_path, DMZPUB_WORKERS="2") as app:
        base, log = str(app["base"]), Path(str(app["log"]))
        [first] = _hammer(base)
        assert first.count(b"<url>") == 31 and _renders(log) == 1
        _fill(store, range(30, 31))  # a write by another process: the next request sees it
        [second] = _hammer(base)
        assert second.count(b"<url>") == 32 and b"rec-00030" in second
        assert _renders(log) == 2


def test_a_crawler_holding_the_etag_gets_304_until_the_store_changes(tmp_path: Path) -> None:
    store = tmp_path / "var" / "dmzpub.sqlite"
    _fill(store, range(3))
    with gunicorn(tmp_path, DMZPUB_WORKERS="1") as app:
        url = f"{app['base']}/sitemap.xml"
        with urllib.request.urlopen(url, timeout=60) as response:
            etag = response.headers["ETag"]
        again = urllib.request.Request(url, headers={"If-None-Match": etag})
        try:
            urllib.request.urlopen(again, timeout=60)
            raise AssertionError("expected 304 Not Modified")
        except urllib.error.HTTPError as exc:
            assert exc.code == 304
        _fill(store, range(3, 4))
        with urllib.request.urlopen(again, timeout=60) as response:
            assert response.status == 200 and response.headers["ETag"] != etag


def test_made_up_part_keys_keep_a_bounded_number_of_files(tmp_path: Path) -> None:
    cache = SitemapCache(tmp_path / "sitemaps")
    for n in range(100):
        assert cache.get(f"records after {n}", 7, lambda n=n: f"<x>{n}</x>".encode()) == f"<x>{n}</x>".encode()
    assert len(list((tmp_path / "sitemaps").glob("*.xml"))) <= 32
    assert cache.get("records after 99", 7, lambda: b"not rendered again") == b"<x>99</x>"
