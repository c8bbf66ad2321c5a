"""Thumbnails are decoded once, at write, into their own table/collection and served from there."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from conftest import Pusher
from flask import Flask
from scicat_real import real
from test_scicat_records import PNG

from catalogue_core.record_writer import RecordWriter
from catalogue_core.scicat import from_scicat
from catalogue_core.store import Repository, schema
from catalogue_core.store.mongo import MongoRepository
from catalogue_core.thumbnail import Thumbnail
from oai_server import create_app
from oai_server.store import of as store_of

GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00 not a whole image, only its signature"


def _document(image: bytes | None, media_type: str = "image/png") -> dict[str, Any]:
    document = dict(real("v3-register-min.json"))
    if image is not None:
        document["thumbnail"] = f"data:{media_type};base64," + base64.b64encode(image).decode()
    return document


def _put(repo: Repository, document: dict[str, Any]) -> str:
    entry = RecordWriter(repo).entry(from_scicat(document))
    repo.put([entry])
    return entry.key


def test_a_written_thumbnail_is_kept_decoded_with_its_media_type(repo: Repository) -> None:
    key = _put(repo, _document(PNG))
    image = repo.thumbnail(key)
    assert isinstance(image, Thumbnail)
    assert (image.media_type, image.data) == ("image/png", PNG)
    assert image.sha256 == repo.get(key).extras["thumbnail"]["sha256"]


def test_a_thumbnail_of_16_mb_is_kept_apart_and_its_record_reads_back_whole(repo: Repository) -> None:
    # A MongoDB document holds at most 16 MiB: the data URL alone may be that large.
    big = PNG + b"\0" * (12 << 20)
    document = _document(big)
    key = _put(repo, document)
    assert repo.thumbnail(key).data == big
    assert repo.get(key).payload["thumbnail"] == document["thumbnail"]
    repo.withdraw(key)
    assert repo.thumbnail(key) is None and repo.get(key).payload["thumbnail"] == document["thumbnail"]


def test_a_new_thumbnail_replaces_the_old_and_none_or_a_withdrawal_removes_it(repo: Repository) -> None:
    key = _put(repo, _document(PNG))
    _put(repo, _document(GIF, "image/gif"))
    assert (repo.thumbnail(key).media_type, repo.thumbnail(key).data) == ("image/gif", GIF)
    _put(repo, _document(None))
    assert repo.thumbnail(key) is None
    _put(repo, _document(PNG))
    repo.withdraw(key)
    assert repo.thumbnail(key) is None


def test_a_restored_record_gets_its_thumbnail_back(repo: Repository, tmp_path: Any) -> None:
    key = _put(repo, _document(PNG))
    record = repo.get(key)
    repo.save_thumbnail(key, None)
    repo.restore([(record, "")])
    assert repo.thumbnail(key).data == PNG


def test_the_thumbnail_route_serves_the_stored_bytes_not_a_decode_of_the_payload(app: Flask) -> None:
    # The payload is still the pushed data URL; once decoded at write it is never read again to serve.
    pusher = Pusher(app.test_client())
    document = _document(PNG)
    assert pusher.put(document).status_code == 201
    repo = store_of(app).store
    key = document["doi"].lower()
    stored = repo.thumbnail(key)
    repo.save_thumbnail(key, Thumbnail(stored.media_type, PNG + b"marker", stored.sha256))
    image = app.test_client().get(f"/doi/{document['doi']}/thumbnail")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data == PNG + b"marker"
    assert image.headers["ETag"] == f'"{stored.sha256}"'


def _as_written_before_thumbnails_were_kept(repo: Repository, key: str, document: dict[str, Any]) -> None:
    """Drop the decoded thumbnail; on MongoDB also put the data URL back into the stored payload."""
    if isinstance(repo, MongoRepository):
        repo.records.update_one({"_id": key}, {"$set": {"payload": json.dumps(document)}})
        repo.thumbnails.delete_one({"_id": key})
    else:
        repo.save_thumbnail(key, None)


def test_the_migration_fills_the_thumbnails_of_an_older_store(app_config: dict[str, Any]) -> None:
    app = create_app(app_config)
    document = _document(PNG)
    key = document["doi"].lower()
    try:
        assert Pusher(app.test_client()).put(document).status_code == 201
        repo = store_of(app).store
        _as_written_before_thumbnails_were_kept(repo, key, document)
        repo.set_schema_version(1)  # step 2 keeps thumbnails decoded
        assert schema.migrate(repo, report=lambda line: None) == schema.SCHEMA_VERSION - 1
        assert repo.thumbnail(key).data == PNG
        assert app.test_client().get(f"/doi/{document['doi']}/thumbnail").data == PNG
    finally:
        store_of(app).close()


@pytest.mark.parametrize("store_kind", ["mongo"])
def test_a_push_resent_after_failing_between_record_and_image_writes_the_image(
    repo: Repository, store_kind: str
) -> None:
    # MongoDB writes the image after its record (two documents): the publisher resends the push it
    # saw fail, which finds the record unchanged and must still leave the image in place.
    assert isinstance(repo, MongoRepository)
    document = _document(PNG)
    key = _put(repo, document)
    repo.thumbnails.delete_one({"_id": key})
    entry = RecordWriter(repo).entry(from_scicat(document))
    assert repo.put([entry])[0].outcome == "unchanged"
    assert repo.thumbnail(key).data == PNG


@pytest.mark.parametrize("image", [PNG, GIF, b"not an image", None])
def test_the_writer_stores_the_thumbnail_from_scicat_decoded_once_as_a_second_decode_gives_it(
    image: bytes | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from catalogue_core import thumbnail

    record = from_scicat(_document(image))
    calls: list[object] = []
    decode = thumbnail.decode
    monkeypatch.setattr(thumbnail, "decode", lambda value: calls.append(value) or decode(value))
    entry = RecordWriter(None)._entry(record, {})  # type: ignore[arg-type]  # _entry only reads the record
    assert calls == []  # the image from_scicat decoded is the one stored
    assert entry.thumbnail == thumbnail.image(record.extras, record.payload)
    assert (entry.thumbnail is None) == (image in (None, b"not an image"))
    # A record made without from_scicat (as a test or a restore may) still gets its image by decoding.
    rebuilt = type(record)(record.doi, record.metadata, record.extras, record.payload)
    assert RecordWriter(None)._entry(rebuilt, {}).thumbnail == entry.thumbnail  # type: ignore[arg-type]
