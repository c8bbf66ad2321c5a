"""The page head's JSON-LD written straight to text: what `tojson(schemaorg.dataset(...))` writes, without the dict.

At write time the dict and its sorted, ASCII-escaped dump were ~30 % of a record's page parts (the C
encoder's sort_keys alone doubled the dump). This writer puts each member in sorted order itself and
writes the creators once for `creator` and `author`. It applies only while the app's `tojson` is
Flask's default (`live_json.plain_json`); tests/test_jsonld_text.py holds it byte-identical to the dict path.
"""

from __future__ import annotations

from collections.abc import Mapping
from json.encoder import encode_basestring_ascii
from typing import Any

from flask import current_app

from . import model
from .live_json import html_safe
from .page import RecordPage
from .schemaorg import description

# Stand-ins for the slots while the text is made HTML-safe: ASCII-escaped JSON holds no non-ASCII character.
_MARKS = {"contentSize": "\ue000", "dateModified": "\ue001", "distribution": "\ue002"}


def _value(value: Any) -> str:
    """Return a value's JSON as the app's tojson writes it (before the HTML-safe replaces)."""
    if type(value) is str:
        return encode_basestring_ascii(value)  # the C routine json's own encoder calls for each string
    return str(current_app.json.dumps(value, sort_keys=True))


def _list(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _organization(affiliation: model.Affiliation) -> str:
    name = _value(affiliation.name)
    if affiliation.url:
        url = _value(affiliation.url)
        return f'{{"@id": {url}, "@type": "Organization", "identifier": {url}, "name": {name}}}'
    return f'{{"@type": "Organization", "name": {name}}}'


def _agent(person: model.Person) -> str:
    # Members in sorted order: @id, @type, affiliation, familyName, givenName, identifier, name.
    out = []
    if person.orcid:
        out.append(f'"@id": {_value(person.orcid)}')
    out.append('"@type": "Person"' if person.personal else '"@type": "Organization"')
    if person.affiliations:
        out.append(f'"affiliation": {_list([_organization(a) for a in person.affiliations])}')
    if person.personal:
        if person.family:
            out.append(f'"familyName": {_value(person.family)}')
        if person.given:
            out.append(f'"givenName": {_value(person.given)}')
    if person.orcid:
        out.append(f'"identifier": {{"@type": "PropertyValue", "propertyID": "ORCID", "url": {_value(person.orcid)}}}')
    out.append(f'"name": {_value(person.name)}')
    return "{" + ", ".join(out) + "}"


def _funders(funding: list[dict[str, Any]]) -> list[str]:
    out = []
    for fund in funding:
        if fund["funder"]:
            found = f'"@id": {_value(fund["funder_url"])}, ' if fund["funder_url"] else ""
            out.append(f'{{{found}"@type": "Organization", "name": {_value(fund["funder"])}}}')
    return out


def text(page: RecordPage, sections: Mapping[str, Any], slots: Mapping[str, str]) -> str:
    """Return the htmlsafe JSON of the page's Dataset, each live member (contentSize, ...) replaced by its slot."""
    meta, doi_url = page.meta, _value(page.doi_url)
    agents = _list([_agent(p) for p in page.creators])  # creator and author are the same list: written once
    out = [f'{{"@context": "https://schema.org", "@id": {doi_url}, "@type": "Dataset", "author": {agents}']
    cited = [r.url for r in page.related if r.url and r.relation.startswith(("Is supplement to", "Is cited by"))]
    if cited:
        out.append(f'"citation": {_list([_value(url) for url in cited])}')
    out[-1] += _MARKS["contentSize"]
    out.append(f'"creator": {agents}{_MARKS["dateModified"]}')
    out.append(f'"datePublished": {_value(sections["issued"])}')
    out.append(f'"description": {_value(description(page))}{_MARKS["distribution"]}')
    if funders := _funders(sections["funding"]):
        out.append(f'"funder": {_list(funders)}')
    value = f'{{"@type": "PropertyValue", "propertyID": "DOI", "url": {doi_url}, "value": {_value(page.doi)}}}'
    out.append(f'"identifier": [{doi_url}, {value}]')
    if meta.get("language"):
        out.append(f'"inLanguage": {_value(meta["language"])}')
    catalog = _value(page.base_url + "/")
    out.append(f'"includedInDataCatalog": {{"@type": "DataCatalog", "url": {catalog}}}, "isAccessibleForFree": true')
    if keywords := sections["subjects"]:
        out.append(f'"keywords": {_list([_value(k) for k in keywords])}')
    if licences := page.license_urls:
        out.append(f'"license": {_value(licences[0]) if len(licences) == 1 else _list([_value(u) for u in licences])}')
    out.append(f'"name": {_value(page.title)}')
    out.append(f'"publisher": {_publisher(sections)}')
    same = [doi_url, *[_value(url) for url in filter(None, [sections["catalogue_url"]])]]
    out.append(f'"sameAs": {_list(same)}')
    if sections["thumbnail"]:
        out.append(f'"thumbnailUrl": {_value(sections["thumbnail"])}')
    out.append(f'"url": {_value(page.landing_url)}')
    if meta.get("version"):
        out.append(f'"version": {_value(str(meta["version"]))}')
    written = ", ".join(out) + "}"
    written = html_safe(written)  # ASCII-escaped JSON has <, >, & and ' only inside strings: same as per string
    for name, mark in _MARKS.items():
        written = written.replace(mark, slots[name], 1)
    return written


def _publisher(sections: Mapping[str, Any]) -> str:
    name = _value(sections["publisher"])
    if url := sections["publisher_url"]:
        return f'{{"@id": {_value(url)}, "@type": "Organization", "name": {name}}}'
    return f'{{"@type": "Organization", "name": {name}}}'
