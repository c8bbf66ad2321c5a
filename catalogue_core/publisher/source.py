"""Read PublishedData from a SciCat backend: v4 `/api/v4/PublishedData` or v3 `/api/v3/PublishedData`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import orjson
import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_exponential

from ..compact_json import is_plain
from ..doi import fold_doi
from .delivery import RetryPolicy
from .errors import SciCatUnreadable

API_VERSIONS = ("auto", "v4", "v3")


class _Transient(Exception):
    pass


class PlainPage(list[Any]):
    """A page of documents its parse found plain JSON (compact_json.is_plain): nothing walks them again for it."""


def known_plain(page: list[Any]) -> bool | None:
    """Return True for a PlainPage, None (not known) for another page: what sync.read takes as `plain`."""
    return True if type(page) is PlainPage else None


def reply_json(response: requests.Response) -> Any:
    """Return `response.json()`, read by orjson (~4x json's speed on a page) where that gives the same values."""
    # The same values when requests decodes the body as UTF-8 (the charset SciCat and JSON's media type give)
    # and orjson reads no float (it reads integers past 64 bits as floats): else json reads it, the reference,
    # also for what orjson refuses (NaN, a lone surrogate, a BOM, bad UTF-8) and so for the error raised.
    if (response.encoding or "").lower() in ("utf-8", "utf8"):
        try:
            value = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            pass
        else:
            if is_plain(value):
                return PlainPage(value) if type(value) is list else value
    return response.json()


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
        self._credentials: tuple[str, str] | None = None

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
        return self.call("GET", self._url(version, suffix), params=params, missing_ok=probe)

    def login(self, username: str, password: str) -> None:
        """Log in with SciCat's local account route and send the token it returns from now on.

        SciCat's NestJS backend serves `POST /api/v3/auth/login` ({username, password} ->
        {access_token, ...}; SciCatProject/backend src/auth/auth.controller.ts, dto/returnedLogin.dto.ts).
        """
        self._credentials = (username, password)
        self.session.headers.pop("Authorization", None)
        body = self.call(
            "POST", f"{self.base_url}/api/v3/auth/login", json={"username": username, "password": password}
        )
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise SciCatUnreadable(f"{self.base_url}/api/v3/auth/login", "the login reply has no access_token")
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(
        self,
        method: str,
        url: str,
        params: dict[str, str] | None = None,
        json: Any = None,
        missing_ok: bool = False,
    ) -> Any:
        """Send one request with retries on outages; return its JSON (None for a 404 when `missing_ok`)."""

        def once() -> Any:
            try:
                response = self.session.request(method, url, params=params, json=json, timeout=self.timeout)
            except requests.RequestException as exc:
                raise _Transient(f"{type(exc).__name__}: {exc}") from None
            if response.status_code >= 500 or response.status_code == 429:
                raise _Transient(f"HTTP {response.status_code}")
            return response

        retrying = Retrying(
            retry=retry_if_exception_type(_Transient),
            wait=wait_exponential(multiplier=self.policy.backoff, max=self.policy.max_wait),
            stop=stop_after_delay(self.policy.give_up),
            sleep=self.policy.sleep,
            reraise=True,
        )
        try:
            response = retrying(once)
            if response.status_code == 401 and self._credentials and not url.endswith("/auth/login"):
                # The token expired (SciCat's JWTs live for hours, a watcher runs for months).
                self.login(*self._credentials)
                response = retrying(once)
        except _Transient as exc:
            raise SciCatUnreadable(url, f"the SciCat backend does not answer ({exc})") from None
        if missing_ok and response.status_code == 404:
            return None
        if response.status_code in (401, 403):
            raise SciCatUnreadable(url, f"HTTP {response.status_code}: the SciCat token is missing or not accepted")
        if response.status_code >= 400:
            raise SciCatUnreadable(url, f"HTTP {response.status_code}: {response.text[:300]}")
        if not response.content and method != "GET":
            return None
        try:
            return reply_json(response)
        except ValueError:
            raise SciCatUnreadable(url, "the reply is not JSON") from None

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
        except SciCatUnreadable:
            return None
        return body.get("count") if isinstance(body, dict) and isinstance(body.get("count"), int) else None

    def pages(self) -> Iterator[list[dict[str, Any]]]:
        """Yield every document, one page at a time; raise SciCatUnreadable rather than stop short."""
        skip = 0
        previous_first: Any = object()
        while True:
            page = self._get(self.version, self._params({}, skip, self.page_size))
            if not isinstance(page, list):
                raise SciCatUnreadable(self._url(self.version), "expected a JSON array of PublishedData")
            if len(page) > self.page_size or (page and page[0] == previous_first):
                raise SciCatUnreadable(self._url(self.version), "the backend ignores skip/limit paging")
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
            raise SciCatUnreadable(self._url(self.version), "expected a JSON array of PublishedData")
        found = [d for d in page if isinstance(d, dict) and fold_doi(str(d.get("doi", ""))) == fold_doi(doi)]
        if page and not found:
            # A backend that ignores `where` must not make us withdraw a record it still has.
            raise SciCatUnreadable(self._url(self.version), f"the backend ignored the filter on doi {doi!r}")
        return found[0] if found else None

    def changed_since(self, since: str | None, page_size: int | None = None) -> Iterator[list[dict[str, Any]]]:
        """Yield documents whose `updatedAt` is at or after `since` (all when None), oldest change first.

        Keyset paging on `updatedAt` (SciCat v4 passes `where` to MongoDB and sorts on the one
        field `limits.order` names, "field:direction"; SciCatProject/backend
        published-data.v4.controller.ts, common/utils.ts parseOrderLimits): a record edited
        while we read gets a later `updatedAt` and is met again further on, never skipped.
        Where a page ends, the records sharing its last instant are read in full, by DOI
        keyset, before going on strictly after it: no tie is skipped. A record may come twice.
        """
        if self.version != "v4":
            raise SciCatUnreadable(self._url(self.version), "reading changes by updatedAt needs SciCat's v4 API")
        limit = page_size or self.page_size
        where: dict[str, Any] = {"updatedAt": {"$gte": since}} if since else {}
        while True:
            page = self._v4_page(where, limit, "updatedAt:asc")
            if page:
                yield page
            if len(page) < limit:
                return
            last = _updated(page[-1])
            if last is None:
                raise SciCatUnreadable(self._url("v4"), "a PublishedData document has no updatedAt")
            yield from self._instant(last, limit)
            where = {"updatedAt": {"$gt": last}}

    def _instant(self, moment: str, limit: int) -> Iterator[list[dict[str, Any]]]:
        """Yield every document changed at exactly this instant, paged by DOI."""
        after: str | None = None
        while True:
            where: dict[str, Any] = {"updatedAt": moment, **({"doi": {"$gt": after}} if after else {})}
            page = self._v4_page(where, limit, "doi:asc")
            if page:
                yield page
            if len(page) < limit:
                return
            after = str(page[-1].get("doi"))

    def _v4_page(self, where: dict[str, Any], limit: int, order: str) -> list[dict[str, Any]]:
        limits = {"skip": 0, "limit": limit, "order": order}
        page = self._get("v4", {"filter": json.dumps({"where": where}), "limits": json.dumps(limits)})
        if not isinstance(page, list):
            raise SciCatUnreadable(self._url("v4"), "expected a JSON array of PublishedData")
        return page

    def newest_update(self) -> str | None:
        """Return the latest `updatedAt` in the catalogue now (None when empty or on v3)."""
        if self.version != "v4":
            return None
        limits = {"skip": 0, "limit": 1, "order": "updatedAt:desc"}
        page = self._get("v4", {"filter": "{}", "limits": json.dumps(limits)})
        return _updated(page[0]) if isinstance(page, list) and page else None


def _updated(document: Any) -> str | None:
    value = document.get("updatedAt") if isinstance(document, dict) else None
    return value if isinstance(value, str) and value else None
