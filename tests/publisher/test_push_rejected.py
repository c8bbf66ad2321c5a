"""A record the DMZ rejects (4xx) is parked with its error, not retried forever."""

from __future__ import annotations

import pytest
from conftest import v4_document

from .conftest import Intranet, held
from .servers import LiveDMZ

DOI = "10.99999/push-0001"


@pytest.fixture
def app_config(app_config: dict) -> dict:
    """Accept small pushes only, so that the DMZ rejects what the intranet thinks is fine."""
    return {**app_config, "DMZPUB_MAX_PUSH_BYTES": "2048"}


def test_a_rejected_record_is_parked_with_its_error_until_replaced(intranet: Intranet, dmz: LiveDMZ, dmz_store) -> None:
    big = v4_document(DOI, abstract="x" * 4000)
    small = v4_document("10.99999/push-small")
    result = intranet.invoke("push", intranet.write("batch.json", [big, small]))
    assert result.exit_code == 1
    assert f"parked {DOI} (HTTP 413)" in result.output and "the body exceeds 2048 bytes" in result.output
    assert held(dmz_store, "10.99999/push-small") is not None  # the rest of the batch went through
    assert held(dmz_store, DOI) is None
    status = intranet.invoke("outbox", "status")
    assert status.exit_code == 1  # cron mails while a record is parked
    assert "parked=1" in status.output and f"parked #1 put {DOI} (HTTP 413)" in status.output
    flushed = intranet.invoke("outbox", "flush")
    assert flushed.exit_code == 1 and "1 parked entries wait for `dmzpub outbox retry`" in flushed.output

    retried = intranet.invoke("outbox", "retry", DOI)
    assert retried.exit_code == 1 and "1 parked entries queued again" in retried.output
    assert intranet.outbox().counts()["parked"] == 1  # parked again, not retried forever

    fixed = intranet.invoke("push", intranet.write("fixed.json", v4_document(DOI, "Shorter")))
    assert fixed.exit_code == 0, fixed.output
    assert intranet.outbox().counts() == {"pending": 0, "parked": 0, "delivered": 2, "superseded": 1}
    assert held(dmz_store, DOI).metadata["titles"][0]["title"] == "Shorter"
    assert intranet.invoke("outbox", "status").exit_code == 0  # nothing waits, nothing is parked
