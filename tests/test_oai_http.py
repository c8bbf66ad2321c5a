"""HTTP behaviour of /oai: compression on request, 503 with Retry-After only while the store is down."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import Any

import oai_support
import pytest
from conftest import NS, Pusher
from oai_support import Clock, OAIClient, corpus, push_all

from oai_server import create_app
from oai_server.store import of as store_of

oai = oai_support.oai
clock = oai_support.clock


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [
        ("gzip", "gzip"),
        ("gzip, deflate", "gzip"),
        ("deflate", "deflate"),
        ("gzip;q=0, deflate", "deflate"),
        ("*", "gzip"),
        ("gzip;q=0, deflate;q=0, *", None),
        ("identity", None),
        ("br", None),
        (None, None),
    ],
)
def test_compression_follows_accept_encoding(oai: OAIClient, accept: str | None, encoding: str | None) -> None:
    headers = {"Accept-Encoding": accept} if accept else {}
    response = oai.client.get("/oai", query_string={"verb": "Identify"}, headers=headers)
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    body = {"gzip": gzip.decompress, "deflate": zlib.decompress, None: bytes}[encoding](response.data)
    assert oai.validate(body).find("oai:Identify", NS) is not None


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compressed_list_page_decodes_to_the_very_bytes_sent_uncompressed(
    oai: OAIClient, pusher: Pusher, clock: Clock, encoding: str
) -> None:
    # Pages are compressed with ISA-L (for speed), not zlib: the standard library must read them back.
    # (The frozen clock keeps both requests' responseDate the same.)
    push_all(pusher, corpus(5))
    query = {"verb": "ListRecords", "metadataPrefix": "oai_datacite"}
    plain = oai.client.get("/oai", query_string=query, headers={"Accept-Encoding": "identity"}).data
    packed = oai.client.get("/oai", query_string=query, headers={"Accept-Encoding": encoding})
    assert packed.headers["Content-Encoding"] == encoding and len(packed.data) < len(plain) / 2
    assert {"gzip": gzip.decompress, "deflate": zlib.decompress}[encoding](packed.data) == plain
    assert len(oai.validate(plain).findall(".//oai:record", NS)) == 5


def _down_config(app_config: dict[str, Any], tmp_path: Path, store_kind: str) -> dict[str, Any]:
    if store_kind == "mongo":
        # Nothing listens on port 9 of loopback: the store cannot answer.
        return {**app_config, "DMZPUB_MONGO_URI": "mongodb://127.0.0.1:9/dmzpub?serverSelectionTimeoutMS=200"}
    data = tmp_path / "down"
    (data / "dmzpub.sqlite").mkdir(parents=True)  # a folder where the database file should be
    return {**app_config, "DMZPUB_DATA_DIR": str(data)}


def test_store_down_is_503_with_retry_after(app_config: dict[str, Any], tmp_path: Path, store_kind: str) -> None:
    app = create_app(_down_config(app_config, tmp_path, store_kind))
    response = app.test_client().get("/oai", query_string={"verb": "ListRecords", "metadataPrefix": "oai_dc"})
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0


def test_protocol_errors_stay_200_while_the_store_is_down(
    app_config: dict[str, Any], tmp_path: Path, store_kind: str, xsd: Any
) -> None:
    app = create_app(_down_config(app_config, tmp_path, store_kind))
    assert OAIClient(app.test_client(), xsd).error(verb="Nope") == "badVerb"


def test_unusable_key_file_fails_only_list_requests_with_503(
    app_config: dict[str, Any], tmp_path: Path, mongo_uri: str, xsd: Any
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    config = {**app_config, "DMZPUB_MONGO_URI": mongo_uri, "DMZPUB_DATA_DIR": str(blocker / "var")}
    app = create_app({**config, "DMZPUB_OAI_PAGE_SIZE": 1})
    client = app.test_client()
    push_all(Pusher(client), corpus(2))
    oai = OAIClient(client, xsd)
    assert oai(verb="Identify").find("oai:Identify", NS) is not None
    response = oai.raw({"verb": "ListRecords", "metadataPrefix": "oai_dc"})
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    store_of(app).close()
