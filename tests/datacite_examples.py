"""DataCite's official kernel-4 example records (XML in ../shared) read back into DataCite JSON, for writer tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import SHARED
from lxml import etree

EXAMPLES = SHARED / "examples" / "datacite-kernel-4"
_NS = "{http://datacite.org/schema/kernel-4}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# JSON names of the XML attributes that differ (the package writes `schemeUri` as schemeURI, and so on).
_ATTRIBUTES = {_XML_LANG: "lang", "schemeURI": "schemeUri", "valueURI": "valueUri", "rightsURI": "rightsUri"}
_ATTRIBUTES |= {"awardURI": "awardUri"}
# Elements whose text is the JSON member `name`; the rest use their own tag.
_NAMED = {"creatorName", "contributorName", "affiliation", "publisher"}
_LISTS = {"nameIdentifier": "nameIdentifiers", "affiliation": "affiliation"}
_PLAIN_LISTS = {"sizes", "formats"}
_POINTS = {"geoLocationPoint", "polygonPoint", "inPolygonPoint", "geoLocationBox"}


def _tag(element: etree._Element) -> str:
    return str(element.tag).removeprefix(_NS)


def _text(element: etree._Element) -> str:
    return "".join(element.itertext()).strip()


def _attributes(element: etree._Element) -> dict[str, Any]:
    return {
        _ATTRIBUTES.get(str(k), str(k)): v for k, v in element.attrib.items() if "}" not in str(k) or k == _XML_LANG
    }


def _object(element: etree._Element) -> dict[str, Any]:
    """Return one element with attributes and child elements as a JSON object."""
    out = _attributes(element)
    if all(_tag(c) == "br" for c in element if isinstance(c.tag, str)):  # a leaf, or a description with <br/>
        out["name" if _tag(element) in _NAMED else _tag(element)] = _text(element)
        return out
    for child in element:
        if not isinstance(child.tag, str):
            continue
        tag = _tag(child)
        if tag in ("creatorName", "contributorName"):
            out.update(_attributes(child), name=_text(child))
        elif tag in _LISTS:
            out.setdefault(_LISTS[tag], []).append(_object(child))
        elif tag in ("creators", "contributors", "titles"):
            out[tag] = [_object(c) for c in child if isinstance(c.tag, str)]
        elif tag == "relatedItemIdentifier":
            out[tag] = {**_attributes(child), tag: _text(child)}
        elif tag == "number":
            out.update({"number": _text(child), **_attributes(child)})
        elif tag in _POINTS:
            out[tag] = {_tag(c): _text(c) for c in child if isinstance(c.tag, str)}
        elif tag == "geoLocationPolygon":
            out[tag] = [{_tag(c): {_tag(p): _text(p) for p in c}} for c in child if isinstance(c.tag, str)]
        else:
            out.update(_attributes(child))
            out[tag] = _text(child)
    return out


def to_json(path: Path) -> dict[str, Any]:
    """Return the DataCite JSON of one example record, as far as the package's writer reads it."""
    root = etree.parse(str(path)).getroot()
    out: dict[str, Any] = {}
    for child in root:
        if not isinstance(child.tag, str):
            continue
        tag = _tag(child)
        if tag == "identifier":
            out["doi"] = _text(child)
        elif tag == "resourceType":
            out["types"] = {**_attributes(child), "resourceType": _text(child)}
        elif tag == "publisher":
            out["publisher"] = {**_attributes(child), "name": _text(child)}
        elif tag in ("publicationYear", "language", "version"):
            out[tag] = _text(child)
        elif tag in _PLAIN_LISTS:
            out[tag] = [_text(c) for c in child if isinstance(c.tag, str)]
        else:
            out[tag] = [_object(c) for c in child if isinstance(c.tag, str)]
    return out


def all_examples() -> dict[str, dict[str, Any]]:
    """Return every example record's DataCite JSON by file name."""
    return {path.name: to_json(path) for path in sorted(EXAMPLES.glob("*.xml"))}
