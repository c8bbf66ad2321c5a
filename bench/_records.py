"""Bench records that differ as a facility's do: one example copied, with the values that vary between records varied.

Copies that differ only in DOI and title let a memo keyed by creators, subjects or related works hit on
every record, which no facility's records do: the benches measure such memos on their misses too.
"""

from __future__ import annotations

import copy
from typing import Any


def varied(template: dict[str, Any], i: int, doi_prefix: str) -> dict[str, Any]:
    """Return record i: DOI, title, first creator, first contributor, second subject, first related work and
    first award its own; the publisher, licence, funder and any further creators shared (the facility's)."""
    doc = copy.deepcopy(template)
    doc["doi"], doc["title"] = f"{doi_prefix}{i:07d}", f"{template['title']} #{i}"
    meta = doc.get("metadata") or {}
    if creators := meta.get("creators"):
        person = creators[0]
        person["name"] = f"Nilsson{i}, Karin"
        if "familyName" in person:
            person["familyName"] = f"Nilsson{i}"
        for identifier in person.get("nameIdentifiers", [])[:1]:
            identifier["nameIdentifier"] = f"https://orcid.org/0000-0002-{i % 10000:04d}-{i // 10000 % 10000:04d}"
    if contributors := meta.get("contributors"):
        contributors[0]["name"] = f"Larsen{i}, Per"
    if len(meta.get("subjects", [])) > 1:
        meta["subjects"][1]["subject"] = f"{meta['subjects'][1]['subject']} {i}"
    if related := meta.get("relatedIdentifiers"):
        related[0]["relatedIdentifier"] = f"10.1107/S1600576725{i:06d}"
    if funding := meta.get("fundingReferences"):
        funding[0]["awardNumber"] = f"1010{i:05d}"
    return doc
