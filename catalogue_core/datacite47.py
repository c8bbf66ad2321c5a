"""DataCite kernel 4.7: the `datacite` package's 4.5 JSON schema and XML writer, extended in one place.

The package stops at 4.5. SciCat's v4 schema allows the 4.6/4.7 vocabulary, so the JSON schema
gets the values the kernel-4.7 XSD added (listed below, from its change log), SciCat's
`relatedItemIdentifier` sub-fields, and `relationTypeInformation`; the XML is the package's 4.5
output (valid 4.7: every 4.5 document is) with those attributes set and the 4.7 schema location.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from lxml import etree

from .compiled_schema import CompiledSchema

VERSION = "4.7"
SCHEMA_LOCATION = "http://datacite.org/schema/kernel-4 http://schema.datacite.org/meta/kernel-4.7/metadata.xsd"
_XSI_LOCATION = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"

# Controlled-list values added by kernel 4.6 (2024-12-05) and 4.7 (2026-03-03).
ADDED_VALUES: dict[str, tuple[str, ...]] = {
    "resourceTypeGeneral": ("Award", "Project", "Poster", "Presentation"),
    "relatedIdentifierType": ("CSTR", "RRID", "RAiD", "SWHID"),
    "contributorType": ("Translator",),
    "relationType": ("HasTranslation", "IsTranslationOf", "Other"),
    "dateType": ("Coverage",),
}
# Attributes of <relatedItemIdentifier> that SciCat keeps inside the relatedItemIdentifier object.
ITEM_IDENTIFIER_ATTRIBUTES = {
    "relatedMetadataScheme": "relatedMetadataScheme",
    "schemeUri": "schemeURI",
    "schemeType": "schemeType",
}


def package_schema() -> dict[str, Any]:
    """Return the `datacite` package's 4.5 JSON schema (`schema45.validator.schema`), read from its file."""
    # Read without importing the package: its __init__ imports its REST client and so idutils, whose
    # regexes cost ~0.5-1 s of CPU at every start of a process that pushes or syncs (python -X importtime).
    spec = importlib.util.find_spec("datacite")
    assert spec is not None and spec.submodule_search_locations, "the datacite package is a dependency"
    folder = Path(next(iter(spec.submodule_search_locations)))
    return json.loads((folder / "schemas" / "datacite-v4.5.json").read_text(encoding="utf-8"))


def _schema() -> dict[str, Any]:
    schema = package_schema()
    definitions = schema["definitions"]
    for name, values in ADDED_VALUES.items():
        enum = definitions[name]["enum"]
        enum.extend(v for v in values if v not in enum)
    text = {"type": "string"}
    definitions["relatedObject"]["properties"]["relationTypeInformation"] = text
    item_identifier = schema["properties"]["relatedItems"]["items"]["properties"]["relatedItemIdentifier"]
    item_identifier["properties"].update({name: text for name in ITEM_IDENTIFIER_ATTRIBUTES})
    return schema


SCHEMA = _schema()
# Compiled once per process (jsonschema-rs; see compiled_schema): validation dominates a push's cost.
COMPILED = CompiledSchema(SCHEMA)


def problems(metadata: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (path, message) for every way the metadata breaks the 4.7 JSON schema, in path order."""
    return COMPILED.problems(metadata)


def _set(element: etree._Element, name: str, value: Any) -> None:
    if isinstance(value, str) and value:
        element.set(name, value)


def resource_element(metadata: dict[str, Any]) -> etree._Element:
    """Return the kernel-4.7 <resource> element of canonical DataCite JSON.

    Writes go through datacite47_xml.resource_xml, the same bytes without the tree; this stays as the
    reference that writer is tested against.
    """
    from datacite import schema45  # the writers' reference only: see package_schema for why not at the top

    root = schema45.dump_etree(metadata)
    root.set(_XSI_LOCATION, SCHEMA_LOCATION)
    # The package builds child elements without a namespace; they take the root's default one when serialised.
    related = root.find("relatedIdentifiers")
    given_related = metadata.get("relatedIdentifiers", [])
    for element, value in zip(related if related is not None else [], given_related, strict=False):
        _set(element, "relationTypeInformation", value.get("relationTypeInformation"))
    items = root.find("relatedItems")
    for element, value in zip(items if items is not None else [], metadata.get("relatedItems", []), strict=False):
        _set(element, "relationTypeInformation", value.get("relationTypeInformation"))
        identifier = element.find("relatedItemIdentifier")
        given = value.get("relatedItemIdentifier")
        if identifier is not None and isinstance(given, dict):
            for key, attribute in ITEM_IDENTIFIER_ATTRIBUTES.items():
                _set(identifier, attribute, given.get(key))
    return root
