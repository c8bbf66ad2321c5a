"""The intranet-side publisher: a durable outbox delivered to the DMZ, and SciCat sync/reconcile."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..progress import Progress
from .client import PushClient
from .delivery import Deliverer, DeliveryReport, RetryPolicy
from .errors import (
    BadDocument,
    DMZUnavailable,
    OutboxUnwritable,
    PublisherError,
    PushRefused,
    Rejected,
    SciCatUnreadable,
    UntrustedCertificate,
)
from .outbox import Intent, Item, Outbox
from .reconcile import ReconcileReport, reconcile
from .source import SciCatSource
from .sync import SyncReport, sync

OUTBOX_FILE = "outbox.sqlite"


@dataclass(frozen=True)
class PushSettings:
    """Where the DMZ is, how to authenticate, where the outbox lives and how to retry."""

    push_url: str
    token: str
    data_dir: Path
    timeout: float = 30.0
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    batch_size: int = 100
    ca_bundle: str = ""
    # Bulk requests under way at once. Two (one per gunicorn worker) left a worker idle while its sender
    # marked a batch delivered or waited for the outbox: four gave ~1.3x a first sync's records/s (bench/sync.py).
    concurrency: int = 4

    @property
    def outbox_path(self) -> Path:
        """Return the outbox file under the data folder."""
        return Path(self.data_dir) / OUTBOX_FILE

    def client(self) -> PushClient:
        """Return a client of the DMZ push API."""
        return PushClient(self.push_url, self.token, self.timeout, self.ca_bundle)

    def deliverer(self, outbox: Outbox, client: PushClient, progress: Progress | None = None) -> Deliverer:
        """Return a deliverer draining the outbox with these retry settings."""
        return Deliverer(outbox, client, self.policy, self.batch_size, progress=progress, concurrency=self.concurrency)


__all__ = [
    "BadDocument",
    "DMZUnavailable",
    "Deliverer",
    "DeliveryReport",
    "Intent",
    "Item",
    "Outbox",
    "OutboxUnwritable",
    "Progress",
    "PublisherError",
    "PushClient",
    "PushRefused",
    "PushSettings",
    "ReconcileReport",
    "Rejected",
    "RetryPolicy",
    "SciCatSource",
    "SciCatUnreadable",
    "SyncReport",
    "UntrustedCertificate",
    "reconcile",
    "sync",
]
