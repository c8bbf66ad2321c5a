"""One record as a landing page sees it: the stored record, its URLs and its download section."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from catalogue_core.store import StoredRecord
from catalogue_core.thumbnail import THUMBNAIL_SUFFIX
from catalogue_core.urls import doi_url, export_path, landing_path

from . import model
from .downloads import Downloads

THUMBNAIL = THUMBNAIL_SUFFIX
T = TypeVar("T")


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
    def creators(self) -> list[model.Person]:
        """Return the creators."""
        return model.creators(self.meta)

    @once
    def dataset_pids(self) -> list[str]:
        """Return the PIDs of the datasets the record publishes."""
        return [p for p in self.record.extras.get("datasetPids") or [] if isinstance(p, str)]

    @once  # the page's sections (less the dataset PIDs) and its JSON-LD citations both read these
    def related(self) -> list[model.Related]:
        """Return every related identifier with its link."""
        return model.related(self.meta)

    @once  # the page's sections, its licence links and its JSON-LD read these
    def rights(self) -> list[tuple[str, str | None]]:
        """Return (name, link) of each licence or rights statement."""
        return model.rights(self.meta)

    @once
    def license_urls(self) -> list[str]:
        """Return the licence links."""
        return [url for _, url in self.rights if url]

    @property
    def orcids(self) -> list[str]:
        """Return the creators' ORCID links."""
        return [p.orcid for p in self.creators if p.orcid]
