"""The store extension hands out one record writer, made again when what it is made of changes."""

from __future__ import annotations

from pathlib import Path

from oai_server import create_app
from oai_server.store import of as store_of


def test_the_writer_is_kept_and_made_again_for_a_new_store_or_changed_settings(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "DMZPUB_DATA_DIR": str(tmp_path), "DMZPUB_BASE_URL": "https://a.example"})
    extension = store_of(app)
    try:
        first = extension.writer
        assert extension.writer is first and first.store is extension.store and first.page_parts is not None
        assert first.context.landing_url("10.1/x") == "https://a.example/doi/10.1/x"
        app.config["DMZPUB_BASE_URL"] = "https://b.example"
        moved = extension.writer
        assert moved is not first and moved.context.landing_url("10.1/x") == "https://b.example/doi/10.1/x"
        app.config["DMZPUB_SET_RULES"] = ("status",)
        assert extension.writer.set_rules == ("status",)
        old_store = extension.store
        extension.close()
        assert extension.writer.store is extension.store is not old_store
    finally:
        extension.close()
