"""The provider context every builder gets: the store, the repository description, the token codec."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote

from catalogue_core.doi import fold_doi
from catalogue_core.store import Repository

from .resumption_token import TokenCodec

# Characters the oai-identifier syntax allows unescaped; anything else in a key is %-encoded.
_ID_SAFE = "-_.!~*'();/?:@&=+$,"
_ID_PLAIN = re.compile(r"^[A-Za-z0-9\-_.!~*'();/?:@=+$,]+$")


@dataclass(frozen=True)
class ProviderConfig:
    """What the provider says about itself; `base_url` is the full URL of /oai."""

    base_url: str
    repository_name: str
    repository_id: str
    admin_email: str
    page_size: int = 100


@dataclass(frozen=True)
class Provider:
    """Everything a builder needs: the store (opened on first use), the description, the token codec."""

    open_store: Callable[[], Repository]
    config: ProviderConfig
    codec: TokenCodec

    @property
    def store(self) -> Repository:
        """Return the repository; requests that break the rules never open it."""
        return self.open_store()

    def identifier(self, key: str) -> str:
        """Return the OAI identifier of a record key."""
        local = key if _ID_PLAIN.match(key) else quote(key, safe=_ID_SAFE)
        return f"oai:{self.config.repository_id}:{local}"

    def identifier_xml(self, key: str) -> str:
        """Return the OAI identifier of a record key, escaped for XML (the common case costs nothing)."""
        if _ID_PLAIN.match(key):
            return f"oai:{self.config.repository_id}:{key}"
        return self.identifier(key).replace("&", "&amp;")  # quote() left no other markup character

    def key_of(self, identifier: str) -> str | None:
        """Return the record key an OAI identifier names, or None if it is not one of ours."""
        prefix = f"oai:{self.config.repository_id}:"
        if not identifier.startswith(prefix) or len(identifier) == len(prefix):
            return None
        return fold_doi(unquote(identifier[len(prefix) :]))
