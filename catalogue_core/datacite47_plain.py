"""The kernel-4.7 <resource> of plain metadata (xmltext.plain): datacite47_xml's bytes without its escaping.

A write's dearest format. When nothing in the metadata needs escaping or checking, the values go in as
they are (`value + ""`, a type check alone) and the commonest elements are written in one f-string
each; the rare ones (geoLocations, relatedItems, ...) use datacite47_xml's own writers. Anything odd
(a value that is not a string where one goes, a tab or newline in an attribute) makes it answer None,
and the caller writes the general way instead.
tests/test_plain_writers.py holds it byte-identical to datacite47_xml.resource_xml.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import datacite47_xml as general
from .xmltext import space_in_tag

XML_LANG = general.XML_LANG
# `value + ""` is the type check of every value written: the value itself for a str, TypeError for anything
# else (number, None, list, dict), as xmltext.string's str.__str__ was; an operator, not a call: 117 against
# 625 instructions a value (callgrind), ~50 values a record (~2 % of its write-time rendering).


def _a(name: str, value: Any) -> str:
    """Return an attribute as general._a writes it for a plain value: '' unless the value is truthy."""
    return f' {name}="{value + ""}"' if value else ""


def _person(tag: str, name_tag: str, value: dict[str, Any], kind: Any = None) -> str:
    if len(value) == 1:  # the name alone (a creator from SciCat v3's list): nothing else to look for
        return f"<{tag}><{name_tag}>{value['name'] + ''}</{name_tag}></{tag}>"
    get = value.get
    # _a's conditional attributes written out: a record writes ~20 of them, each a call before.
    name_type, lang = get("nameType"), get("lang")
    name_attrs = (f' nameType="{name_type + ""}"' if name_type else "") + (f' xml:lang="{lang + ""}"' if lang else "")
    role = f' contributorType="{kind + ""}"' if kind else ""
    out = f"<{tag}{role}><{name_tag}{name_attrs}>{value['name'] + ''}</{name_tag}>"
    if given := get("givenName"):
        out += f"<givenName>{given + ''}</givenName>"
    if family := get("familyName"):
        out += f"<familyName>{family + ''}</familyName>"
    for ident in get("nameIdentifiers", ()):
        if found := ident.get("nameIdentifier"):
            scheme, uri = ident["nameIdentifierScheme"] + "", ident.get("schemeUri")
            uri_attr = f' schemeURI="{uri + ""}"' if uri else ""
            out += f'<nameIdentifier nameIdentifierScheme="{scheme}"{uri_attr}>{found + ""}</nameIdentifier>'
    for aff in get("affiliation", ()):
        if found := aff.get("name"):
            ident, scheme, uri = (
                aff.get("affiliationIdentifier"),
                aff.get("affiliationIdentifierScheme"),
                aff.get("schemeUri"),
            )
            attrs = (
                (f' affiliationIdentifier="{ident + ""}"' if ident else "")
                + (f' affiliationIdentifierScheme="{scheme + ""}"' if scheme else "")
                + (f' schemeURI="{uri + ""}"' if uri else "")
            )
            out += f"<affiliation{attrs}>{found + ''}</affiliation>"
    return f"{out}</{tag}>"


def _creators(values: list[dict[str, Any]]) -> str:
    return f"<creators>{''.join([_person('creator', 'creatorName', v) for v in values])}</creators>"


def _contributors(values: list[dict[str, Any]]) -> str:
    parts = [_person("contributor", "contributorName", v, v.get("contributorType")) for v in values]
    return f"<contributors>{''.join(parts)}</contributors>"


def _titles(values: list[dict[str, Any]]) -> str:
    parts = []
    for value in values:
        lang, kind, title = value.get("lang"), value.get("titleType") or value.get("type"), value["title"]
        attrs = (f' xml:lang="{lang + ""}"' if lang else "") + (f' titleType="{kind + ""}"' if kind else "")
        parts.append(f"<title{attrs}>{title + ''}</title>")
    return f"<titles>{''.join(parts)}</titles>"


def _alternate_identifiers(values: list[dict[str, Any]]) -> str:
    parts = []
    for value in values:
        kind = value.get("alternateIdentifierType")
        found = value["alternateIdentifier"] + ""
        parts.append(f"<alternateIdentifier{_a('alternateIdentifierType', kind)}>{found}</alternateIdentifier>")
    return f"<alternateIdentifiers>{''.join(parts)}</alternateIdentifiers>"


def _publisher(value: dict[str, Any]) -> str:
    get = value.get
    ident, scheme, uri = get("publisherIdentifier"), get("publisherIdentifierScheme"), get("schemeUri")
    attrs = (
        (f' publisherIdentifier="{ident + ""}"' if ident else "")
        + (f' publisherIdentifierScheme="{scheme + ""}"' if scheme else "")
        + (f' schemeURI="{uri + ""}"' if uri else "")
    )
    return f"<publisher{attrs}>{value['name'] + ''}</publisher>"


def _subjects(values: list[dict[str, Any]]) -> str:
    parts = []
    for value in values:
        if len(value) == 1:  # the subject alone, as most are: no attribute to look for
            parts.append(f"<subject>{value['subject'] + ''}</subject>")
            continue
        get = value.get
        attrs = (
            _a(XML_LANG, get("lang"))
            + _a("subjectScheme", get("subjectScheme"))
            + _a("schemeURI", get("schemeUri"))
            + _a("valueURI", get("valueUri"))
        )
        parts.append(f"<subject{attrs}>{value['subject'] + ''}</subject>")
    return f"<subjects>{''.join(parts)}</subjects>"


def _dates(values: list[dict[str, Any]]) -> str:
    parts = []
    for v in values:  # _a written out here and below: a call per item was ~1K instructions (callgrind)
        information = f' dateInformation="{info + ""}"' if (info := v.get("dateInformation")) else ""
        parts.append(f'<date dateType="{v["dateType"] + ""}"{information}>{v["date"] + ""}</date>')
    return f"<dates>{''.join(parts)}</dates>"


def _resource_type(value: dict[str, Any]) -> str:
    general_type, subtype = value["resourceTypeGeneral"] + "", value.get("resourceType")
    if subtype is None:
        return f'<resourceType resourceTypeGeneral="{general_type}"/>'
    return f'<resourceType resourceTypeGeneral="{general_type}">{subtype + ""}</resourceType>'


def _related_identifiers(values: list[dict[str, Any]]) -> str:
    parts = []
    for value in values:
        get = value.get
        attrs = f' relationType="{value["relationType"] + ""}"'
        if len(value) == 3 and "relatedIdentifierType" in value:  # the usual three: no other attribute to look for
            kind, identifier = value["relatedIdentifierType"], value["relatedIdentifier"] + ""
            kind = f' relatedIdentifierType="{kind + ""}"' if kind else ""
            parts.append(f"<relatedIdentifier{attrs}{kind}>{identifier}</relatedIdentifier>")
            continue
        for key, name in general.RELATED_ATTRIBUTES:
            if found := get(key):
                attrs += f' {name}="{found + ""}"'
        information = get("relationTypeInformation")
        if isinstance(information, str) and information:  # datacite47's addition: only a non-empty string
            attrs += f' relationTypeInformation="{information}"'
        parts.append(f"<relatedIdentifier{attrs}>{value['relatedIdentifier'] + ''}</relatedIdentifier>")
    return f"<relatedIdentifiers>{''.join(parts)}</relatedIdentifiers>"


def _free_texts(plural: str, singular: str) -> Callable[[list[Any]], str]:
    def write(values: list[Any]) -> str:
        texts = "".join([f"<{singular}>{v + ''}</{singular}>" for v in values])
        return f"<{plural}>{texts}</{plural}>"

    return write


def _rights(values: list[dict[str, Any]]) -> str:
    parts = []
    for value in values:
        if len(value) == 2 and "rights" in value and (uri := value.get("rightsUri")):
            # A name and its link (the access right every record gets): the one attribute there is.
            parts.append(f'<rights rightsURI="{uri + ""}">{value["rights"] + ""}</rights>')
            continue
        get = value.get
        attrs = "".join([f' {name}="{v + ""}"' for key, name in general.RIGHTS_ATTRIBUTES if (v := get(key))])
        parts.append(f"<rights{attrs}>{value['rights'] + ''}</rights>" if "rights" in value else f"<rights{attrs}/>")
    return f"<rightsList>{''.join(parts)}</rightsList>"


def _descriptions(values: list[dict[str, Any]]) -> str:
    parts = []
    for v in values:
        language = f' xml:lang="{lang + ""}"' if (lang := v.get("lang")) else ""
        kind = v["descriptionType"] + ""
        parts.append(f'<description descriptionType="{kind}"{language}>{v["description"] + ""}</description>')
    return f"<descriptions>{''.join(parts)}</descriptions>"


def _funding_references(values: list[dict[str, Any]]) -> str:
    parts = []
    for value in values:
        get = value.get
        out = f"<fundingReference><funderName>{value['funderName'] + ''}</funderName>"
        if identifier := get("funderIdentifier"):
            kind = f' funderIdentifierType="{found + ""}"' if (found := get("funderIdentifierType")) else ""
            out += f"<funderIdentifier{kind}>{identifier + ''}</funderIdentifier>"
        if number := get("awardNumber"):
            uri = f' awardURI="{found + ""}"' if (found := get("awardUri")) else ""
            out += f"<awardNumber{uri}>{number + ''}</awardNumber>"
        if title := get("awardTitle"):
            out += f"<awardTitle>{title + ''}</awardTitle>"
        parts.append(f"{out}</fundingReference>")
    return f"<fundingReferences>{''.join(parts)}</fundingReferences>"


def _leaf_of(tag: str) -> Callable[[Any], str]:
    return lambda value: f"<{tag}>{value + ''}</{tag}>"


# datacite47_xml's rules in its order, the common ones written here, the rare ones by datacite47_xml.
_WRITERS: dict[str, Callable[[Any], str]] = {
    **dict(general.RULES),
    "alternateIdentifiers": _alternate_identifiers,
    "creators": _creators,
    "titles": _titles,
    "publisher": _publisher,
    "publicationYear": _leaf_of("publicationYear"),
    "subjects": _subjects,
    "contributors": _contributors,
    "dates": _dates,
    "language": _leaf_of("language"),
    "types": _resource_type,
    "doi": lambda doi: f'<identifier identifierType="DOI">{doi + ""}</identifier>',
    "relatedIdentifiers": _related_identifiers,
    "sizes": _free_texts("sizes", "size"),
    "formats": _free_texts("formats", "format"),
    "version": _leaf_of("version"),
    "rightsList": _rights,
    "descriptions": _descriptions,
    "fundingReferences": _funding_references,
}
_RULES = tuple(_WRITERS.items())


def resource_xml(metadata: dict[str, Any]) -> str | None:
    """Return the <resource> of plain metadata (xmltext.plain) as text, or None when it is for the general writer."""
    try:
        parts = [write(metadata[key]) for key, write in _RULES if key in metadata and (metadata[key] or key == "types")]
    except (TypeError, KeyError, AttributeError, ValueError):
        return None  # a value that is not a string where one goes, or missing: the general writer says what
    content = "".join(parts)
    if ("\n" in content or "\t" in content) and space_in_tag(content):
        return None  # a tab or newline in an attribute value is escaped
    return f"<resource {general.OPEN}>{content}</resource>" if content else f"<resource {general.OPEN}/>"
