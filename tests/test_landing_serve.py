"""The landing serve path made cheaper answers the same: one store read per page not cached, the same JSON members."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from landing_data import RICH_DOI, RICH_KEY, rich_document

from catalogue_core.store.sqlite import SQLiteRepository
from landing import parts
from oai_server import create_app
from oai_server.store import of as store_of

PAGE = "/doi/" + RICH_KEY
VALUES = ["2025-06-03T12:00:00Z", "2025-06-03T12:00:00.123456+00:00", "12.3 kB", "1 B", "", "a<b", "x & y", 'q"']
VALUES += ["ü 数据", "O'Brien", "line\nbreak", "</script>"]


@pytest.mark.parametrize("value", VALUES)
def test_a_live_member_is_written_as_the_templates_json_writes_it(tmp_path: Path, value: Any) -> None:
    app = create_app({"DMZPUB_DATA_DIR": str(tmp_path)})
    with app.app_context():
        assert parts._live_member("dateModified", value) == parts._member("dateModified", value)
        assert parts._live_member("distribution", [{"name": value}]) == parts._member("distribution", [{"name": value}])


def test_a_page_not_cached_is_one_store_read_and_a_cached_one_reads_no_record(tmp_path: Path) -> None:
    app = create_app({"DMZPUB_DATA_DIR": str(tmp_path / "var"), "DMZPUB_PUSH_TOKENS": "t"})
    client = app.test_client()
    pushed = client.put(f"/api/v1/published/{RICH_DOI}", json=rich_document(), headers={"Authorization": "Bearer t"})
    assert pushed.status_code in (200, 201)
    statements: list[str] = []
    store_of(app).store._db().set_trace_callback(statements.append)  # type: ignore[attr-defined]

    def reads() -> list[str]:
        found = [s for s in statements if re.search(r" (FROM|JOIN) (records|rendered) ", s)]
        statements.clear()
        return found

    first = client.get(PAGE)
    assert first.status_code == 200 and "Available on request" in first.text
    assert not any("'generation'" in s for s in statements if not re.search(r" (FROM|JOIN) records ", s))
    [read] = reads()
    assert "JOIN rendered" in read and "'generation'" in read  # the generation came with it
    again = client.get(PAGE)
    assert again.data == first.data
    assert reads() == []  # nothing written since: the cached page's summary holds


def test_a_cached_page_reads_no_record_until_any_connection_writes(tmp_path: Path) -> None:
    app = create_app({"DMZPUB_DATA_DIR": str(tmp_path / "var"), "DMZPUB_PUSH_TOKENS": "t"})
    client = app.test_client()
    pushed = client.put(f"/api/v1/published/{RICH_DOI}", json=rich_document(), headers={"Authorization": "Bearer t"})
    assert pushed.status_code in (200, 201)
    served = store_of(app).store
    statements: list[str] = []
    served._db().set_trace_callback(statements.append)  # type: ignore[attr-defined]
    first = client.get(PAGE)
    statements.clear()
    assert client.get(PAGE).data == first.data
    assert any("'generation'" in s for s in statements) and not any("FROM records" in s for s in statements)
    other = SQLiteRepository(served.path)  # type: ignore[attr-defined]  # another connection: another worker's
    try:
        other.withdraw(RICH_KEY, "retracted")
    finally:
        other.close()
    gone = client.get(PAGE)
    assert gone.status_code == 410 and "retracted" in gone.text
