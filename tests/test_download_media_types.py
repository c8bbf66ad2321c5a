"""One media type per staged file: the page, Signposting, JSON-LD and the download itself agree."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import v4_document
from flask.testing import FlaskClient
from landing_data import stage
from lxml import html

from catalogue_core.urls import file_path

DOI = "10.1234/Types:1"
KEY = DOI.lower()
NAMES = ["run42.tar.gz", "table.csv.bz2", "frames.h5", "scan.nxs", "README"]


def _bare(media_type: str) -> str:
    return media_type.split(";", 1)[0].strip()


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_every_output_announces_the_type_the_download_is_served_as(
    app: Any, client: FlaskClient, pusher: Any, store_kind: str
) -> None:
    assert pusher.put(v4_document(DOI)).status_code == 201
    stage(app.config["DMZPUB_DOWNLOAD_DIR"], KEY, {name: b"x" for name in NAMES})
    page = client.get(f"/doi/{KEY}", follow_redirects=True)
    doc = html.fromstring(page.data)
    linkset = json.loads(client.get(f"/doi/{KEY}/linkset", follow_redirects=True).data)["linkset"][0]
    [block] = doc.xpath("//script[@type='application/ld+json']/text()")
    distribution = json.loads(block)["distribution"]
    for name in NAMES:
        served = _bare(client.get(file_path(KEY, name), buffered=True).headers["Content-Type"])
        url = f"https://doi.example.org{file_path(KEY, name)}"
        [on_page] = doc.xpath(f"//a[@href='{url}']/@type")
        [item] = [i["type"] for i in linkset["item"] if i["href"] == url]
        [encoding] = [d["encodingFormat"] for d in distribution if d.get("contentUrl") == url]
        assert on_page == item == encoding == served, name
    assert served == "application/octet-stream"  # no extension: nothing guessed
