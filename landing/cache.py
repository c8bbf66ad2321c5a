"""A per-process cache of rendered pages, keyed by everything a page is rendered from."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

PAGE_CACHE_SIZE = 512  # pages of ~20 kB: about 10 MB per worker process


class PageCache:
    """A least-recently-used map from a page's inputs to its rendered body and headers."""

    def __init__(self, size: int | None = None) -> None:
        self.size = PAGE_CACHE_SIZE if size is None else size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        """Return the cached value, marking it recently used, or None."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        """Store a value, dropping the least recently used one beyond the size."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget every page."""
        with self._lock:
            self._items.clear()
