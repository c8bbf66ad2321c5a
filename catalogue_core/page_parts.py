"""Landing-page parts rendered at write time: where they are stored and the renderer the app provides."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .record import PublishedRecord

# Stored in `rendered` beside the OAI formats (same row per record, same transaction, same
# export), but never disseminated: OAI-PMH lists only crosswalks.FORMATS.
PAGE_PARTS = "landing_page"

# Renders the parts of one record's page; the app wires the landing package's renderer in at
# create_app, so catalogue_core writes pages without importing `landing` (the layer rule).
PartsRenderer = Callable[[PublishedRecord], str]


def disseminated(rendered: Mapping[str, str]) -> dict[str, str]:
    """Return the rendered formats harvesters see: new page parts alone never move a datestamp."""
    return {prefix: text for prefix, text in rendered.items() if prefix != PAGE_PARTS}
