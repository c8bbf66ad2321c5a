"""One record as a landing page sees it: the stored record, its URLs and its download section."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from catalogue_core.fragments import Shared
from catalogue_core.store import StoredRecord
from catalogue_core.thumbnail import THUMBNAIL_SUFFIX
from catalogue_core.urls import doi_url, export_path, landing_path

from . import model
from .downloads import Downloads

THUMBNAIL = THUMBNAIL_SUFFIX
T = TypeVar("T")
# Per metadata member and its JSON, what the page's writers made of it: a facility's records share their
# creators, funders, licences, ...; the creators' people, bylines, head tags, JSON-LD and citation authors
# were ~a tenth of a record's write.
_MEMBERS = ("creators", "contributors", "fundingReferences", "rightsList", "relatedIdentifiers")
_SHARED = {member: Shared() for member in _MEMBERS}


class once(Generic[T]):
    """functools.cached_property without its checks: the value goes into the page's __dict__ on the first read.

    A page written at write time reads nine of these once each: functools' __get__ (attribute-name and
    __dict__ checks, a sentinel look-up) was ~4 % of a record's page parts. A plain attribute after.
    """

    def __init__(self, func: Callable[[Any], T]) -> None:
        self.func, self.name = func, func.__name__
        self.__doc__ = func.__doc__

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> once[T]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...
    def __get__(self, instance: object | None, owner: type | None = None) -> T | once[T]:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value


@dataclass(frozen=True)
class RecordPage:
    """A record with what its page, exports and Link headers are built from."""

    record: StoredRecord
    base_url: str
    downloads: Downloads | None = None

    @property
    def meta(self) -> dict[str, Any]:
        """Return the DataCite JSON metadata."""
        return self.record.metadata

    @property
    def doi(self) -> str:
        """Return the DOI as the catalogue pushed it."""
        return self.record.doi

    @once  # cached, as the rest below: a page reads each of these many times
    def doi_url(self) -> str:
        """Return the DOI's resolver link."""
        return doi_url(self.record.doi)

    @once
    def landing_url(self) -> str:
        """Return the absolute canonical URL of the page."""
        return self.base_url + landing_path(self.record.key)

    def export_url(self, name: str) -> str:
        """Return the absolute URL of one export."""
        # export_path's form on the cached landing URL: a page links each export three times (head, body, Link)
        return f"{self.landing_url}/{name}"

    @property
    def thumbnail_path(self) -> str | None:
        """Return the path of the record's thumbnail (versioned by its hash), if it has one."""
        image = self.record.extras.get("thumbnail")
        if not isinstance(image, dict) or not image.get("sha256"):
            return None
        return export_path(self.record.key, THUMBNAIL) + "?v=" + image["sha256"][:16]

    @once
    def title(self) -> str:
        """Return the main title."""
        return model.title(self.meta)

    @once
    def shared(self) -> dict[str, dict[Any, Any]]:
        """Per metadata member, what writers made of it, shared by every page whose member has the same JSON.

        Each writer names its own entry; what it keeps there depends on the member's value alone (and its name).
        """
        meta = self.meta  # every member a page writes: looked up at once
        return {member: memo.of(meta.get(member)) for member, memo in _SHARED.items()}

    def of_member(self, member: str, name: Hashable, write: Callable[[dict[str, Any]], T]) -> T:
        """Return write(metadata), once per JSON of metadata[member] (`write` reads that member alone)."""
        memo = self.shared[member]
        if (found := memo.get(name)) is None:
            found = memo[name] = write(self.meta)
        return found

    @once
    def creators(self) -> list[model.Person]:
        """Return the creators."""
        return list(self._people)  # the page's own list of the shared (never assigned to) people

    @property
    def _people(self) -> list[model.Person]:
        return self.of_member("creators", "people", model.creators)

    def of_creators(self, name: Hashable, write: Callable[[list[model.Person]], T]) -> T:
        """Return what `write` makes of the creators, once per creators' JSON (`write`'s depends on them alone)."""
        memo = self.shared["creators"]
        if (found := memo.get(name)) is None:
            found = memo[name] = write(self._people)  # the shared people: a page's own list may have been changed
        return found

    @once
    def dataset_pids(self) -> list[str]:
        """Return the PIDs of the datasets the record publishes."""
        return [p for p in self.record.extras.get("datasetPids") or [] if isinstance(p, str)]

    @once  # the page's sections (less the dataset PIDs) and its JSON-LD citations both read these
    def related(self) -> list[model.Related]:
        """Return every related identifier with its link."""
        return list(self.of_member("relatedIdentifiers", "related", model.related))  # the page's own list

    @once  # the page's sections, its licence links and its JSON-LD read these
    def rights(self) -> list[tuple[str, str | None]]:
        """Return (name, link) of each licence or rights statement."""
        return list(self.of_member("rightsList", "rights", model.rights))  # the page's own list

    @once
    def license_urls(self) -> list[str]:
        """Return the licence links."""
        return [url for _, url in self.rights if url]

    @property
    def orcids(self) -> list[str]:
        """Return the creators' ORCID links."""
        return [p.orcid for p in self.creators if p.orcid]
