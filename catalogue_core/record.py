"""The canonical published record: DataCite 4.x JSON metadata plus what SciCat adds."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from . import compact_json
from .doi import doi_key
from .thumbnail import Thumbnail

SCHEMA_VERSION = "http://datacite.org/schema/kernel-4"

# Statuses under which SciCat considers a record published (v3 `pending_registration` is
# public in the DMZ while DataCite registration is still running).
PUBLISHED_STATUSES = frozenset({"public", "registered", "amended", "pending_registration"})
# Statuses whose DOI is registered at DataCite: only these are harvested by default (SciCat's
# provider listed only `registered`), so harvesters never get a DOI that does not resolve yet.
HARVESTED_STATUSES = ("registered", "amended")


def canonical_json(value: Any, plain: bool | None = None) -> str:
    """Return a deterministic JSON text: sorted keys, no insignificant space (`plain`: compact_json's)."""
    return compact_json.dumps(value, sort_keys=True, plain=plain)


@dataclass(frozen=True)
class PublishedRecord:
    """One DOI's published metadata, normalised; `payload` is the document as received."""

    doi: str
    metadata: dict[str, Any]
    extras: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)
    # Set by whoever made the record from a document its parse found plain (compact_json.is_plain), and
    # so the metadata and extras made of it: no JSON text of the record then walks it again.
    known_plain: bool = field(default=False, compare=False, repr=False)
    # The thumbnail its extras describe, as from_scicat decoded it (None: decode it again when it is asked for).
    image: Thumbnail | None = field(default=None, compare=False, repr=False)

    @cached_property  # asked for several times per write; normalising the DOI again each time showed
    def key(self) -> str:
        """Return the case-folded DOI that identifies the record."""
        return doi_key(self.doi)

    @cached_property  # the writer and the page parts both ask; a record is not changed once made
    def content_hash(self) -> str:
        """Return the SHA-256 of the normalised content (not of the raw payload)."""
        body = canonical_json({"metadata": self.metadata, "extras": self.extras}, self._plain_content or None)
        return "sha256:" + hashlib.sha256(body.encode()).hexdigest()

    @cached_property  # one walk for the hash's text and the stored texts, not one per text
    def _plain_content(self) -> bool:
        return self.known_plain or compact_json.is_plain([self.metadata, self.extras])

    @cached_property
    def plain(self) -> bool:
        """Return whether metadata, extras and payload are all plain JSON (compact_json.is_plain)."""
        return self._plain_content and (self.known_plain or compact_json.is_plain(self.payload))

    @property
    def status(self) -> str:
        """Return SciCat's status of the record (`public` when the document gave none)."""
        return str(self.extras.get("status") or "public")

    @property
    def title(self) -> str:
        """Return the main title."""
        titles = self.metadata.get("titles") or [{}]
        return next((t["title"] for t in titles if not t.get("titleType")), titles[0].get("title", ""))

    @property
    def creator_names(self) -> list[str]:
        """Return the creators' display names in order."""
        return [c.get("name", "") for c in self.metadata.get("creators", [])]
