"""The kernel-4.7 <resource> written straight to text: the bytes of datacite47.resource_element, ~6x cheaper.

Dumping the `datacite` package's lxml tree was the dearest step of a write. This writer follows its
rules (schema45: the same elements in the same order, the same attributes set on the same conditions)
and datacite47's additions; tests/test_datacite_writer.py holds it byte-identical to the tree's
serialisation over every record in ../shared and the tests' corpora.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .datacite47 import ITEM_IDENTIFIER_ATTRIBUTES, SCHEMA_LOCATION
from .xmltext import attribute, children, element, leaf, root, text

Attributes = dict[str, Any]
OPEN = (
    'xmlns="http://datacite.org/schema/kernel-4" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    f' xsi:schemaLocation="{SCHEMA_LOCATION}"'
)
XML_LANG = "xml:lang"


def _put(attributes: Attributes, name: str, value: Any) -> None:
    # The package sets an attribute only when its value is truthy (set_elem_attr, set_non_empty_attr).
    if value:
        attributes[name] = value


def _a(name: str, value: Any) -> str:
    """Return an attribute as _put sets it, already written: '' unless the value is truthy."""
    # Written straight to text, not gathered in a dict first: a record has ~60 optional attributes.
    # Callers read every value before escaping the text, then write the attributes: leaf's order,
    # so a value lxml refuses raises the same error first.
    return f' {name}="{attribute(value)}"' if value else ""


def _leaf(tag: str, value: Any) -> str:
    return f"<{tag}>{text(value)}</{tag}>"


def _name(tag: str, value: dict[str, Any]) -> str:
    name_type, lang = value.get("nameType"), value.get("lang")
    content = text(value["name"])
    return f"<{tag}{_a('nameType', name_type)}{_a(XML_LANG, lang)}>{content}</{tag}>"


def _person(tag: str, name_tag: str, value: dict[str, Any], kind: Any = None) -> str:
    parts = [_name(name_tag, value)]
    if given := value.get("givenName"):
        parts.append(_leaf("givenName", given))
    if family := value.get("familyName"):
        parts.append(_leaf("familyName", family))
    for ident in value.get("nameIdentifiers", []):
        if ident.get("nameIdentifier"):
            scheme, uri = ident["nameIdentifierScheme"], ident.get("schemeUri")
            content = text(ident["nameIdentifier"])
            found = f' nameIdentifierScheme="{attribute(scheme)}"{_a("schemeURI", uri)}'
            parts.append(f"<nameIdentifier{found}>{content}</nameIdentifier>")
    for aff in value.get("affiliation", []):
        if aff.get("name"):
            ident, scheme, uri = (
                aff.get("affiliationIdentifier"),
                aff.get("affiliationIdentifierScheme"),
                aff.get("schemeUri"),
            )
            content = text(aff["name"])
            found = (
                _a("affiliationIdentifier", ident) + _a("affiliationIdentifierScheme", scheme) + _a("schemeURI", uri)
            )
            parts.append(f"<affiliation{found}>{content}</affiliation>")
    return f"<{tag}{_a('contributorType', kind)}>{''.join(parts)}</{tag}>"  # never empty: the name comes first


def _creators(values: list[dict[str, Any]]) -> str:
    return children("creators", [_person("creator", "creatorName", v) for v in values])


def _contributors(values: list[dict[str, Any]]) -> str:
    return children(
        "contributors", [_person("contributor", "contributorName", v, v.get("contributorType")) for v in values]
    )


def _titles(values: list[dict[str, Any]] | None) -> str:
    parts = []
    for value in values or []:
        # kernel 4.0's `type`, superseded by titleType: titleType wins, in the one place either takes.
        lang, kind, title = value.get("lang"), value.get("titleType") or value.get("type"), value["title"]
        content = None if title is None else text(title)
        attrs = _a(XML_LANG, lang) + _a("titleType", kind)
        parts.append(f"<title{attrs}/>" if content is None else f"<title{attrs}>{content}</title>")
    return children("titles", parts)


def _alternate_identifiers(values: list[dict[str, Any]]) -> str:
    parts = []
    for value in values:
        attributes: Attributes = {}
        _put(attributes, "alternateIdentifierType", value.get("alternateIdentifierType"))
        parts.append(leaf("alternateIdentifier", value["alternateIdentifier"], attributes))
    return children("alternateIdentifiers", parts)


def _publisher(value: dict[str, Any]) -> str:
    ident, scheme, uri = (
        value.get("publisherIdentifier"),
        value.get("publisherIdentifierScheme"),
        value.get("schemeUri"),
    )
    content = text(value.get("name"))
    attrs = _a("publisherIdentifier", ident) + _a("publisherIdentifierScheme", scheme) + _a("schemeURI", uri)
    return f"<publisher{attrs}>{content}</publisher>"


def _subjects(values: list[dict[str, Any]]) -> str:
    parts = []
    for value in values:
        lang, scheme, uri = value.get("lang"), value.get("subjectScheme"), value.get("schemeUri")
        value_uri = value.get("valueUri")
        content = text(value["subject"])
        attrs = _a(XML_LANG, lang) + _a("subjectScheme", scheme) + _a("schemeURI", uri) + _a("valueURI", value_uri)
        parts.append(f"<subject{attrs}>{content}</subject>")
    return children("subjects", parts)


def _dates(values: list[dict[str, Any]]) -> str:
    parts = []
    for value in values:
        kind, information = value["dateType"], value.get("dateInformation")
        content = text(value["date"])
        attrs = f' dateType="{attribute(kind)}"{_a("dateInformation", information)}'
        parts.append(f"<date{attrs}>{content}</date>")
    return children("dates", parts)


def _resource_type(value: dict[str, Any]) -> str:
    subtype = value.get("resourceType")
    content = None if subtype is None else text(subtype)
    return element("resourceType", {"resourceTypeGeneral": value["resourceTypeGeneral"]}, content)


def _related_object(attributes: Attributes, value: dict[str, Any]) -> None:
    _put(attributes, "relatedMetadataScheme", value.get("relatedMetadataScheme"))
    _put(attributes, "schemeURI", value.get("schemeUri"))
    _put(attributes, "schemeType", value.get("schemeType"))
    _put(attributes, "resourceTypeGeneral", value.get("resourceTypeGeneral"))


def _information(attributes: Attributes, value: dict[str, Any]) -> None:
    # datacite47's addition: only a non-empty string is set.
    information = value.get("relationTypeInformation")
    if isinstance(information, str) and information:
        attributes["relationTypeInformation"] = information


# _related_object's attributes then relatedIdentifierType: (JSON key, XML attribute) in the package's order.
_RELATED_KEYS = ("relatedMetadataScheme", "schemeUri", "schemeType", "resourceTypeGeneral", "relatedIdentifierType")
_RELATED_NAMES = ("relatedMetadataScheme", "schemeURI", "schemeType", "resourceTypeGeneral", "relatedIdentifierType")
RELATED_ATTRIBUTES = tuple(zip(_RELATED_KEYS, _RELATED_NAMES, strict=True))


def _related_identifiers(values: list[dict[str, Any]]) -> str:
    parts = []
    for value in values:
        relation = value["relationType"]
        found = [value.get(key) for key in _RELATED_KEYS]
        information = value.get("relationTypeInformation")
        identifier = value["relatedIdentifier"]
        content = None if identifier is None else text(identifier)
        attrs = f' relationType="{attribute(relation)}"' + "".join(
            [_a(name, item) for name, item in zip(_RELATED_NAMES, found, strict=True) if item]  # most are unset
        )
        if isinstance(information, str) and information:  # datacite47's addition: only a non-empty string
            attrs += f' relationTypeInformation="{attribute(information)}"'
        parts.append(
            f"<relatedIdentifier{attrs}/>"
            if content is None
            else f"<relatedIdentifier{attrs}>{content}</relatedIdentifier>"
        )
    return children("relatedIdentifiers", parts)


def _free_texts(plural: str, singular: str) -> Callable[[list[Any]], str]:
    def write(values: list[Any]) -> str:
        return children(plural, [element(singular, None, None if v is None else text(v)) for v in values])

    return write


_RIGHTS_KEYS = ("rightsUri", "rightsIdentifierScheme", "rightsIdentifier", "schemeUri", "lang")
_RIGHTS_NAMES = ("rightsURI", "rightsIdentifierScheme", "rightsIdentifier", "schemeURI", XML_LANG)
RIGHTS_ATTRIBUTES = tuple(zip(_RIGHTS_KEYS, _RIGHTS_NAMES, strict=True))


def _rights(values: list[dict[str, Any]]) -> str:
    parts = []
    for value in values:
        found = [value.get(key) for key in _RIGHTS_KEYS]
        content = text(value["rights"]) if "rights" in value else None
        attrs = "".join([_a(name, item) for name, item in zip(_RIGHTS_NAMES, found, strict=True) if item])
        parts.append(f"<rights{attrs}/>" if content is None else f"<rights{attrs}>{content}</rights>")
    return children("rightsList", parts)


def _descriptions(values: list[dict[str, Any]]) -> str:
    parts = []
    for value in values:
        kind, lang = value["descriptionType"], value.get("lang")
        content = text(value["description"])
        parts.append(f'<description descriptionType="{attribute(kind)}"{_a(XML_LANG, lang)}>{content}</description>')
    return children("descriptions", parts)


def _point(tag: str, value: dict[str, Any]) -> str:
    longitude, latitude = str(value["pointLongitude"]), str(value["pointLatitude"])
    return children(tag, [leaf("pointLongitude", longitude), leaf("pointLatitude", latitude)])


_BOX = ("westBoundLongitude", "eastBoundLongitude", "southBoundLatitude", "northBoundLatitude")


def _geo_location(value: dict[str, Any]) -> str:
    parts = []
    if place := value.get("geoLocationPlace"):
        parts.append(leaf("geoLocationPlace", place))
    if point := value.get("geoLocationPoint"):
        parts.append(_point("geoLocationPoint", point))
    if box := value.get("geoLocationBox"):
        parts.append(children("geoLocationBox", [leaf(side, str(box[side])) for side in _BOX]))
    if polygon := value.get("geoLocationPolygon"):
        points = []
        for corner in polygon:
            if plain := corner.get("polygonPoint"):
                points.append(_point("polygonPoint", plain))
            if inside := corner.get("inPolygonPoint"):
                points.append(_point("inPolygonPoint", inside))
        parts.append(children("geoLocationPolygon", points))
    return children("geoLocation", parts)


def _geo_locations(values: list[dict[str, Any]]) -> str:
    return children("geoLocations", [_geo_location(v) for v in values])


def _funding_references(values: list[dict[str, Any]]) -> str:
    parts = []
    for value in values:
        found = [leaf("funderName", value.get("funderName"))]
        if identifier := value.get("funderIdentifier"):
            attributes: Attributes = {}
            _put(attributes, "funderIdentifierType", value.get("funderIdentifierType"))
            found.append(leaf("funderIdentifier", identifier, attributes))
        if number := value.get("awardNumber"):
            attributes = {}
            _put(attributes, "awardURI", value.get("awardUri"))
            found.append(leaf("awardNumber", number, attributes))
        if title := value.get("awardTitle"):
            found.append(leaf("awardTitle", title))
        parts.append(children("fundingReference", found))
    return children("fundingReferences", parts)


_ITEM_TEXTS = ("volume", "issue")
_ITEM_PAGES = ("firstPage", "lastPage", "publisher", "edition")


def _item_identifier(value: dict[str, Any]) -> str:
    given = value["relatedItemIdentifier"]
    attributes: Attributes = {}
    _put(attributes, "relatedItemIdentifierType", given.get("relatedItemIdentifierType"))
    _related_object(attributes, value)  # the package reads these from the item, not from its identifier
    if isinstance(given, dict):  # datacite47: SciCat keeps them inside the identifier; they win
        for key, name in ITEM_IDENTIFIER_ATTRIBUTES.items():
            if isinstance(found := given.get(key), str) and found:
                attributes[name] = found
    identifier = given["relatedItemIdentifier"]
    return element("relatedItemIdentifier", attributes, None if identifier is None else text(identifier))


def _related_item(value: dict[str, Any]) -> str:
    attributes: Attributes = {}
    _put(attributes, "relatedItemType", value.get("relatedItemType"))
    _put(attributes, "relationType", value.get("relationType"))
    _information(attributes, value)
    parts = []
    if value.get("relatedItemIdentifier"):
        parts.append(_item_identifier(value))
    if creators := value.get("creators"):
        parts.append(_creators(creators))
    parts.append(_titles(value.get("titles")))
    if year := value.get("publicationYear"):
        parts.append(leaf("publicationYear", year))
    parts += [leaf(name, found) for name in _ITEM_TEXTS if (found := value.get(name))]
    if number := value.get("number"):
        number_attributes: Attributes = {}
        _put(number_attributes, "numberType", value.get("numberType"))
        parts.append(leaf("number", number, number_attributes))
    parts += [leaf(name, found) for name in _ITEM_PAGES if (found := value.get(name))]
    if contributors := value.get("contributors"):
        parts.append(_contributors(contributors))
    return children("relatedItem", parts, attributes)


def _related_items(values: list[dict[str, Any]]) -> str:
    return children("relatedItems", [_related_item(v) for v in values])


def _leaf_of(tag: str) -> Callable[[Any], str]:
    return lambda value: leaf(tag, value)


# schema45's rules in its order; each runs when its key is present and, but for `types`, non-empty.
RULES: tuple[tuple[str, Callable[[Any], str]], ...] = (
    ("alternateIdentifiers", _alternate_identifiers),
    ("creators", _creators),
    ("titles", _titles),
    ("publisher", _publisher),
    ("publicationYear", _leaf_of("publicationYear")),
    ("subjects", _subjects),
    ("contributors", _contributors),
    ("dates", _dates),
    ("language", _leaf_of("language")),
    ("types", _resource_type),
    ("doi", lambda doi: leaf("identifier", doi, {"identifierType": "DOI"})),
    ("relatedIdentifiers", _related_identifiers),
    ("sizes", _free_texts("sizes", "size")),
    ("formats", _free_texts("formats", "format")),
    ("version", _leaf_of("version")),
    ("rightsList", _rights),
    ("descriptions", _descriptions),
    ("geoLocations", _geo_locations),
    ("fundingReferences", _funding_references),
    ("relatedItems", _related_items),
)


def resource_xml(metadata: dict[str, Any]) -> str:
    """Return the kernel-4.7 <resource> of canonical DataCite JSON as text, without XML declaration."""
    parts = [write(metadata[key]) for key, write in RULES if key in metadata and (metadata[key] or key == "types")]
    return root("resource", OPEN, parts)
