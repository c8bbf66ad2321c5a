"""Human-readable names of the sets that catalogue_core.sets derives from records."""

from __future__ import annotations

from catalogue_core.sets import ALL_RECORDS_SET

_RULE_NAMES = {
    "year": "Publication year",
    "type": "Resource type",
    "publisher": "Publisher",
}


def set_name(spec: str) -> str:
    """Return the name of a setSpec, e.g. `year:2021` gives "Publication year 2021"."""
    if spec == ALL_RECORDS_SET:
        return "OpenAIRE"  # the setName the OpenAIRE Guidelines for Data Archives recommend
    rule, *values = spec.split(":")
    label = _RULE_NAMES.get(rule, rule.replace("_", " ").capitalize())
    if not values:
        return label
    return f"{label} {' / '.join(values)}"
