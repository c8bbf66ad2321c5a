"""The landing page of a record SciCat pushed shows its data description, thumbnail, URL and split names."""

from __future__ import annotations

import json

import pytest
from conftest import Pusher
from lxml import html
from scicat_real import real, wire_body


@pytest.mark.parametrize("source", ["register", "migrated"])
def test_the_page_holds_what_scicat_sent(pusher: Pusher, source: str) -> None:
    document = wire_body("v3-register.http") if source == "register" else real("migrated.json")[0]
    assert pusher.put(document).status_code == 201
    page = pusher.client.get(f"/doi/{document['doi']}")
    tree = html.fromstring(page.data)
    text = tree.text_content()
    assert "https://github.com/example/fossil-x-analysis" in text  # the data description
    links = tree.xpath("//a/@href")
    assert "https://doi.psi.ch/detail/10.16907%252F05a50450-767f-421d-9832-342b57c201af" in links  # SciCat's page
    (thumb,) = tree.xpath("//img[@class='thumb']/@src")
    assert pusher.client.get(thumb.removeprefix("https://doi.example.org")).mimetype == "image/png"
    (block,) = tree.xpath("//script[@type='application/ld+json']/text()")
    jsonld = json.loads(block)
    people = [(c["@type"], c.get("givenName"), c.get("familyName")) for c in jsonld["creator"]]
    assert people == [("Person", "Jane", "Doe"), ("Person", "John", "Smith")]
    assert jsonld["thumbnailUrl"] == thumb
