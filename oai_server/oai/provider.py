"""The provider context every builder gets: the store, the repository description, the token codec."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote

from catalogue_core.doi import fold_doi, normalize_doi
from catalogue_core.errors import InvalidDOI
from catalogue_core.store import Repository, StoredRecord

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
    # Only records with these SciCat statuses are disseminated (None: every record).
    harvest_statuses: tuple[str, ...] | None = None
    bare_identifiers: bool = False  # headers carry bare DOIs, as SciCat's provider did
    site_url: str = ""  # DMZPUB_BASE_URL, for the schemas this server publishes itself


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
        """Return the OAI identifier of a record key (the bare DOI with DMZPUB_OAI_IDENTIFIERS=doi)."""
        if self.config.bare_identifiers:
            return key
        local = key if _ID_PLAIN.match(key) else quote(key, safe=_ID_SAFE)
        return f"oai:{self.config.repository_id}:{local}"

    def identifier_xml(self, key: str) -> str:
        """Return the OAI identifier of a record key, escaped for XML (the common case costs nothing)."""
        if self.config.bare_identifiers:
            return key.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if _ID_PLAIN.match(key):
            return f"oai:{self.config.repository_id}:{key}"
        return self.identifier(key).replace("&", "&amp;")  # quote() left no other markup character

    def identifiers_xml(self, keys: list[str]) -> list[str]:
        """Return identifier_xml of each key: one check for a whole page in the common case."""
        if not self.config.bare_identifiers and "" not in keys and _ID_PLAIN.match("".join(keys)):
            # The joined keys match only if every key does: one regex over a page, not one per key.
            prefix = f"oai:{self.config.repository_id}:"
            return [prefix + key for key in keys]
        return [self.identifier_xml(key) for key in keys]

    def key_of(self, identifier: str) -> str | None:
        """Return the record key an identifier names: `oai:<id>:<doi>`, or a bare DOI as SciCat's provider used."""
        prefix = f"oai:{self.config.repository_id}:"
        if identifier.startswith(prefix) and len(identifier) > len(prefix):
            return fold_doi(unquote(identifier[len(prefix) :]))
        if identifier.startswith("oai:"):
            return None
        try:
            return fold_doi(normalize_doi(identifier))
        except InvalidDOI:
            return None

    def harvested(self, record: StoredRecord) -> bool:
        """Tell whether a record read with its extras has a status OAI-PMH disseminates (as the lists filter)."""
        statuses = self.config.harvest_statuses
        return statuses is None or record.extras.get("status", "") in statuses
