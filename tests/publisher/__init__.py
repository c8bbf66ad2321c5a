"""Tests of the intranet-side publisher (push client, outbox, SciCat sync, reconcile)."""
