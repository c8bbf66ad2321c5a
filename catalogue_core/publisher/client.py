"""HTTP client of the DMZ push API (`/api/v1/published`): one call per method, errors classified."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from ..urls import api_record_path
from .errors import DMZUnavailable, PushRefused, Rejected, UntrustedCertificate

# Statuses after which the same request may succeed later.
TRANSIENT = frozenset({408, 425, 429, 500, 502, 503, 504})
# The DMZ's answer to a write older than the DOI's last one (X-Dmzpub-Sequence): done, not retried.
STALE = 409
SUPERSEDED: dict[str, Any] = {"status": "superseded"}
SEQUENCE_HEADER = "X-Dmzpub-Sequence"


@dataclass(frozen=True)
class Listed:
    """One row of the DMZ's listing: what it holds for a DOI."""

    key: str
    doi: str
    content_hash: str
    deleted: bool


def problem_text(response: requests.Response) -> str:
    """Return a one-line account of an error reply, naming fields when it is problem+json."""
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason or "")[:300].strip() or f"HTTP {response.status_code}"
    if not isinstance(body, dict):
        return str(body)[:300]
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        return "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors if isinstance(e, dict))[:2000]
    return str(body.get("detail") or body.get("title") or body)[:2000]


def _ssl_reason(exc: Exception) -> str:
    """Return the gist of a TLS failure (OpenSSL's reason), not urllib3's nested repr."""
    text = str(exc)
    for reason in ("certificate verify failed: ", "hostname mismatch", "SSL: "):
        if reason in text:
            return text[text.index(reason) :].split(" (_ssl")[0].split("'")[0][:200]
    return text[:200]


class PushClient:
    """Talk to one DMZ server: base URL plus bearer token; the client adds /api/v1/..."""

    def __init__(self, base_url: str, token: str, timeout: float = 30.0, ca_bundle: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        # A private CA's bundle, else the trusted CAs. Passed with every request: requests lets
        # REQUESTS_CA_BUNDLE from the environment override a session's own setting.
        self.verify: str | bool = ca_bundle or True
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()

    def url(self, doi: str | None = None) -> str:
        """Return the URL of the collection or of one DOI's record."""
        return self.base_url + api_record_path(doi)

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send one request; raise DMZUnavailable or PushRefused, return any other reply."""
        try:
            response = self.session.request(method, url, timeout=self.timeout, verify=self.verify, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise UntrustedCertificate(url, _ssl_reason(exc)) from None
        except requests.RequestException as exc:
            raise DMZUnavailable(url, f"{type(exc).__name__}: {exc}") from None
        if response.status_code in TRANSIENT:
            raise DMZUnavailable(url, f"HTTP {response.status_code}: {problem_text(response)}", response.status_code)
        if response.status_code in (401, 403):
            raise PushRefused(url, response.status_code, problem_text(response) + " (check DMZPUB_PUSH_TOKEN)")
        return response

    @staticmethod
    def _reply(url: str, response: requests.Response) -> dict[str, Any]:
        """Return the reply's JSON object; anything else (a proxy's page, say) counts as the DMZ being away."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            # Whether the write happened is unknown: retrying is safe, as delivery is idempotent.
            detail = problem_text(response)[:200]
            raise DMZUnavailable(url, f"HTTP {response.status_code} reply is not JSON from the push API: {detail}")
        return body

    @staticmethod
    def _json(text: str, sequence: str | None = None) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        if sequence is not None:
            headers[SEQUENCE_HEADER] = sequence
        return {"data": text.encode(), "headers": headers}

    @staticmethod
    def _order(sequences: Sequence[int | None]) -> str | None:
        """Return the header value for these sequences; None unless every entry has one (older outboxes)."""
        if not sequences or any(n is None for n in sequences):
            return None
        return ",".join(str(n) for n in sequences)

    def put(self, doi: str, body: str, sequence: int | None = None) -> dict[str, Any]:
        """Create or update one record from its JSON text; return the DMZ's reply; raise Rejected on 4xx.

        A 409 (a later write of the DOI was applied already) returns {"status": "superseded"}.
        """
        url = self.url(doi)
        response = self._send("PUT", url, **self._json(body, self._order([sequence])))
        if response.status_code == STALE:
            return SUPERSEDED
        if response.status_code == 404:
            raise PushRefused(url, 404, "no dmzpub push API at this address (check DMZPUB_PUSH_URL)")
        if response.status_code >= 400:
            raise Rejected(doi, response.status_code, problem_text(response))
        return self._reply(url, response)

    def bulk(self, bodies: Sequence[str], sequences: Sequence[int | None] = ()) -> list[dict[str, Any]]:
        """Create or update many records (JSON texts) in one request; return one item per document, in order.

        An item is the DMZ's reply for that document, or has status `rejected` with `httpStatus` and
        `errors`, or status `stale` (httpStatus 409) when a later write of its DOI was applied already.
        A 4xx for the request as a whole raises Rejected (with doi '*').
        """
        url = self.url()
        response = self._send("POST", url, **self._json("[" + ",".join(bodies) + "]", self._order(sequences)))
        if response.status_code == 404:
            raise PushRefused(url, 404, "no dmzpub push API at this address (check DMZPUB_PUSH_URL)")
        if response.status_code >= 400:
            raise Rejected("*", response.status_code, problem_text(response))
        items = self._reply(url, response).get("items")
        if not isinstance(items, list) or len(items) != len(bodies):
            raise DMZUnavailable(url, "bulk reply does not list one item per document")
        return items

    def withdraw(self, doi: str, reason: str | None = None, sequence: int | None = None) -> dict[str, Any] | None:
        """Withdraw one record; return the reply, None if the DMZ never had the DOI, {"status": "superseded"} on 409."""
        url = self.url(doi)
        order = self._order([sequence])
        body = self._json(json.dumps({"reason": reason}, ensure_ascii=False), order) if reason else {}
        if not reason and order is not None:
            body = {"headers": {SEQUENCE_HEADER: order}}
        response = self._send("DELETE", url, **body)
        if response.status_code == STALE:
            return SUPERSEDED
        if response.status_code == 404:
            self._check_api()  # a 404 from anything but the push API must not count as done
            return None
        if response.status_code >= 400:
            raise Rejected(doi, response.status_code, problem_text(response))
        return self._reply(url, response)

    def _check_api(self) -> None:
        """Raise PushRefused unless the push API answers at this address."""
        url = self.url()
        if self._send("GET", url, params={"limit": 1}).status_code == 404:
            raise PushRefused(url, 404, "no dmzpub push API at this address (check DMZPUB_PUSH_URL)")

    def get(self, doi: str) -> dict[str, Any] | None:
        """Return the DMZ's record (or tombstone) of a DOI, or None."""
        url = self.url(doi)
        response = self._send("GET", url)
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise Rejected(doi, response.status_code, problem_text(response))
        return self._reply(url, response)

    def listing(self, page_size: int = 1000) -> Iterator[Listed]:
        """Yield every record the DMZ holds, in key order, following its keyset pages."""
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": page_size}
            if after:
                params["after"] = after
            response = self._send("GET", self.url(), params=params)
            if response.status_code >= 400:
                raise PushRefused(self.url(), response.status_code, problem_text(response))
            page = self._reply(self.url(), response)
            for item in page["items"]:
                yield Listed(item["key"], item["doi"], item["contentHash"], bool(item["deleted"]))
            # The `next` link is built from the DMZ's own host name, which a proxy may hide;
            # the keyset position is all we need from it.
            if not page.get("next") or not page["items"]:
                return
            after = page["items"][-1]["key"]
