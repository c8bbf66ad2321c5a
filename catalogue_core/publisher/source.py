"""Read PublishedData from a SciCat backend: v4 `/api/v4/PublishedData` or v3 `/api/v3/PublishedData`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_exponential

from ..doi import fold_doi
from .delivery import RetryPolicy
from .errors import SourceError

API_VERSIONS = ("auto", "v4", "v3")


class _Transient(Exception):
    pass


class SciCatSource:
    """Page through one SciCat backend's PublishedData with skip/limit, ordered by DOI."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        api: str = "auto",
        page_size: int = 500,
        timeout: float = 60.0,
        policy: RetryPolicy | None = None,
    ) -> None:
        if api not in API_VERSIONS:
            raise ValueError(f"api must be one of {', '.join(API_VERSIONS)}")
        self.base_url = base_url.rstrip("/")
        self.api = api
        self.page_size = page_size
        self.timeout = timeout
        self.policy = policy or RetryPolicy(give_up=60.0)
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()

    @property
    def version(self) -> str:
        """Return the API version in use, asking the backend once when set to auto."""
        if self.api == "auto":
            # A v3-only backend answers 404 on the v4 route; then the v3 route must work.
            self.api = "v4" if self._get("v4", {"limits": json.dumps({"skip": 0, "limit": 1})}, probe=True) else "v3"
        return self.api

    def _url(self, version: str, suffix: str = "") -> str:
        return f"{self.base_url}/api/{version}/PublishedData{suffix}"

    def _get(self, version: str, params: dict[str, str], suffix: str = "", probe: bool = False) -> Any:
        url = self._url(version, suffix)

        def once() -> Any:
            try:
                response = self.session.get(url, params=params, timeout=self.timeout)
            except requests.RequestException as exc:
                raise _Transient(f"{type(exc).__name__}: {exc}") from None
            if response.status_code >= 500 or response.status_code == 429:
                raise _Transient(f"HTTP {response.status_code}")
            return response

        retrying = Retrying(
            retry=retry_if_exception_type(_Transient),
            wait=wait_exponential(multiplier=self.policy.backoff, max=self.policy.max_wait),
            stop=stop_after_delay(self.policy.give_up),
            reraise=True,
        )
        try:
            response = retrying(once)
        except _Transient as exc:
            raise SourceError(url, f"the SciCat backend does not answer ({exc})") from None
        if probe and response.status_code == 404:
            return None
        if response.status_code in (401, 403):
            raise SourceError(url, f"HTTP {response.status_code}: the SciCat token is missing or not accepted")
        if response.status_code >= 400:
            raise SourceError(url, f"HTTP {response.status_code}: {response.text[:300]}")
        try:
            return response.json()
        except ValueError:
            raise SourceError(url, "the reply is not JSON") from None

    def _params(self, where: dict[str, Any], skip: int, limit: int) -> dict[str, str]:
        if self.version == "v4":
            # v4 takes the page in a separate `limits` parameter, ordered as field:direction.
            limits = {"skip": skip, "limit": limit, "order": "doi:asc"}
            return {"filter": json.dumps({"where": where}), "limits": json.dumps(limits)}
        # v3: loopback-style skip/limit/order in the filter; newer backends read `limits` in it.
        filter_ = {
            "where": where,
            "skip": skip,
            "limit": limit,
            "order": "doi ASC",
            "limits": {"skip": skip, "limit": limit, "order": "doi:asc"},
        }
        return {"filter": json.dumps(filter_)}

    def count(self) -> int | None:
        """Return how many documents the backend lists, or None when it cannot say."""
        try:
            body = self._get(self.version, {}, "/count")
        except SourceError:
            return None
        return body.get("count") if isinstance(body, dict) and isinstance(body.get("count"), int) else None

    def pages(self) -> Iterator[list[dict[str, Any]]]:
        """Yield every document, one page at a time; raise SourceError rather than stop short."""
        skip = 0
        previous_first: Any = object()
        while True:
            page = self._get(self.version, self._params({}, skip, self.page_size))
            if not isinstance(page, list):
                raise SourceError(self._url(self.version), "expected a JSON array of PublishedData")
            if len(page) > self.page_size or (page and page[0] == previous_first):
                raise SourceError(self._url(self.version), "the backend ignores skip/limit paging")
            if page:
                yield page
                previous_first = page[0]
            if len(page) < self.page_size:
                return
            skip += len(page)

    def lookup(self, doi: str) -> dict[str, Any] | None:
        """Return the backend's document of one DOI, or None when it has none (or hides it)."""
        page = self._get(self.version, self._params({"doi": doi}, 0, 1))
        if not isinstance(page, list):
            raise SourceError(self._url(self.version), "expected a JSON array of PublishedData")
        found = [d for d in page if isinstance(d, dict) and fold_doi(str(d.get("doi", ""))) == fold_doi(doi)]
        if page and not found:
            # A backend that ignores `where` must not make us withdraw a record it still has.
            raise SourceError(self._url(self.version), f"the backend ignored the filter on doi {doi!r}")
        return found[0] if found else None
