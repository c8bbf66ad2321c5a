"""The store extension: one repository per process, opened lazily (after gunicorn forks)."""

from __future__ import annotations

import os
import threading

from flask import Flask, current_app

from catalogue_core.crosswalks import RenderContext
from catalogue_core.errors import StoreError
from catalogue_core.page_parts import PartsRenderer
from catalogue_core.record_writer import RecordWriter
from catalogue_core.store import Repository, open_store, schema


class StoreExtension:
    """Hold the process's repository and publisher; reopen after a fork."""

    def __init__(self, app: Flask) -> None:
        self.config = app.config
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._store: Repository | None = None
        self.page_parts: PartsRenderer | None = None  # the landing pages' write-time renderer (create_app)
        self._writer: tuple[tuple[object, ...], RecordWriter] | None = None  # (what it was made of, the writer)

    @property
    def store(self) -> Repository:
        """Return this process's repository, opening it on first use."""
        if self._store is None or self._pid != os.getpid():
            with self._lock:
                if self._store is None or self._pid != os.getpid():
                    cfg = self.config
                    opened = open_store(cfg["DMZPUB_MONGO_URI"] or None, cfg["DMZPUB_DATA_DIR"])
                    try:
                        schema.check(opened)  # a store this release cannot read is refused, not misread
                    except StoreError:
                        opened.close()
                        raise
                    opened.search_budget = cfg["DMZPUB_SEARCH_BUDGET"]
                    self._store = opened
                    self._pid = os.getpid()
        return self._store

    @property
    def writer(self) -> RecordWriter:
        """Return the DMZ record writer on this process's repository."""
        # Made again only when what it is made of changed: a writer and its RenderContext (whose landing URL
        # builder is worked out on first use) per PUT were ~3 us of it.
        cfg = self.config
        rules, base, symbol = cfg["DMZPUB_SET_RULES"], cfg["DMZPUB_BASE_URL"], cfg["DMZPUB_DATACENTRE_SYMBOL"]
        made_of: tuple[object, ...] = (self.store, self.page_parts, rules, base, symbol)
        kept = self._writer
        if kept is None or kept[0] != made_of:
            writer = RecordWriter(self.store, RenderContext(base, symbol), rules, self.page_parts)
            kept = self._writer = (made_of, writer)
        return kept[1]

    @property
    def kind(self) -> str:
        """Return 'mongodb' or 'sqlite'."""
        return "mongodb" if self.config["DMZPUB_MONGO_URI"] else "sqlite"

    def close(self) -> None:
        """Close the repository if it is open."""
        if self._store is not None:
            self._store.close()
            self._store = None


_KEY = "dmzpub.store"  # read only through of() and ext(): no other module spells it


def init_app(app: Flask) -> None:
    """Register the store extension."""
    app.extensions[_KEY] = StoreExtension(app)


def of(app: Flask) -> StoreExtension:
    """Return the store extension of an app (the CLI, tests and benchmarks hold the app)."""
    extension: StoreExtension = app.extensions[_KEY]
    return extension


def ext() -> StoreExtension:
    """Return the current app's store extension."""
    return of(current_app)


def get_store() -> Repository:
    """Return the current app's repository."""
    return ext().store
