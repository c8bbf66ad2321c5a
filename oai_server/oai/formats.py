"""The metadata formats the provider disseminates: the one registry lives with the crosswalks."""

from __future__ import annotations

from catalogue_core.crosswalks import FORMATS, MetadataFormat

__all__ = ["FORMATS", "MetadataFormat"]
