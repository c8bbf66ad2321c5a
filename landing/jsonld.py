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


def _value(value: Any) -> str:
    """Return a value's JSON as the app's tojson writes it (before the HTML-safe replaces)."""
    if type(value) is str:
        return encode_basestring_ascii(value)  # the C routine json's own encoder calls for each string
    return str(current_app.json.dumps(value, sort_keys=True))


def _organization(affiliation: model.Affiliation) -> str:
    name = _value(affiliation.name)
    if affiliation.url:
        url = encode_basestring_ascii(affiliation.url)  # a URL model built or checked: a str
        return f'{{"@id": {url}, "@type": "Organization", "identifier": {url}, "name": {name}}}'
    return f'{{"@type": "Organization", "name": {name}}}'


def _agent(person: model.Person) -> str:
    # Members in sorted order: @id, @type, affiliation, familyName, givenName, identifier, name.
    # One f-string with optional runs, not a list of members: a page writes this for every creator.
    orcid, personal = person.orcid, person.personal
    if orcid:
        url = encode_basestring_ascii(orcid)  # model._orcid_link's: a str
        identified = f'"@id": {url}, '
        identifier = f'"identifier": {{"@type": "PropertyValue", "propertyID": "ORCID", "url": {url}}}, '
    else:
        identified = identifier = ""
    kind = '"@type": "Person", ' if personal else '"@type": "Organization", '
    affiliations = person.affiliations
    member = f'"affiliation": [{", ".join([_organization(a) for a in affiliations])}], ' if affiliations else ""
    family = f'"familyName": {_value(person.family)}, ' if personal and person.family else ""
    given = f'"givenName": {_value(person.given)}, ' if personal and person.given else ""
    return f'{{{identified}{kind}{member}{family}{given}{identifier}"name": {_value(person.name)}}}'


def _funders(funding: list[dict[str, Any]]) -> list[str]:
    out = []
    for fund in funding:
        if fund["funder"]:
            found = f'"@id": {encode_basestring_ascii(fund["funder_url"])}, ' if fund["funder_url"] else ""
            out.append(f'{{{found}"@type": "Organization", "name": {_value(fund["funder"])}}}')
    return out


def text(page: RecordPage, sections: Mapping[str, Any], slots: Mapping[str, str]) -> str:
    """Return the htmlsafe JSON of the page's Dataset, each live member (contentSize, ...) replaced by its slot."""
    # Written in four runs around the three slots, each made HTML-safe on its own (a slot's "<" must stay):
    # no stand-ins to find and replace in the whole text afterwards.
    # The DOI's link, the page's URL and every URL model built or checked (safe_url) are str: encoded without
    # _value's type test; values as the metadata gives them go through _value.
    meta, enc = page.meta, encode_basestring_ascii
    doi_url = enc(page.doi_url)
    agents = "[" + ", ".join([_agent(p) for p in page.creators]) + "]"  # creator and author: written once
    first = f'{{"@context": "https://schema.org", "@id": {doi_url}, "@type": "Dataset", "author": {agents}'
    cited = [r.url for r in page.related if r.url and r.relation.startswith(("Is supplement to", "Is cited by"))]
    if cited:
        first += ', "citation": [' + ", ".join([enc(url) for url in cited]) + "]"
    second = f', "creator": {agents}'
    third = f', "datePublished": {_value(sections["issued"])}, "description": {enc(description(page))}'
    out = []
    if funders := _funders(sections["funding"]):
        out.append(f', "funder": [{", ".join(funders)}]')
    value = f'{{"@type": "PropertyValue", "propertyID": "DOI", "url": {doi_url}, "value": {_value(page.doi)}}}'
    out.append(f', "identifier": [{doi_url}, {value}]')
    if meta.get("language"):
        out.append(f', "inLanguage": {_value(meta["language"])}')
    out.append(_catalogue(page.base_url))
    if keywords := sections["subjects"]:
        out.append(', "keywords": [' + ", ".join([_value(k) for k in keywords]) + "]")
    if licences := page.license_urls:
        written = enc(licences[0]) if len(licences) == 1 else "[" + ", ".join([enc(u) for u in licences]) + "]"
        out.append(f', "license": {written}')
    out.append(f', "name": {_value(page.title)}, "publisher": {_publisher(sections)}')
    catalogue = sections["catalogue_url"]
    out.append(f', "sameAs": [{doi_url}, {enc(catalogue)}]' if catalogue else f', "sameAs": [{doi_url}]')
    if sections["thumbnail"]:
        out.append(f', "thumbnailUrl": {enc(sections["thumbnail"])}')
    out.append(f', "url": {enc(page.landing_url)}')
    if meta.get("version"):
        out.append(f', "version": {enc(str(meta["version"]))}')
    out.append("}")
    # ASCII-escaped JSON has <, >, & and ' only inside strings: made safe per run, the same as per string.
    runs = [first, slots["contentSize"], second, slots["dateModified"], third, slots["distribution"], "".join(out)]
    # Seldom any: the four runs scanned as one text first (a per-run loop was ~1 % of a record's write).
    text = first + second + third + runs[6]
    if "<" in text or ">" in text or "&" in text or "'" in text:
        for i in range(0, 7, 2):
            run = runs[i]
            if "<" in run or ">" in run or "&" in run or "'" in run:  # four scans, not four replaces
                runs[i] = html_safe(run)
    return "".join(runs)


def _catalogue(base_url: str) -> str:
    """Return the includedInDataCatalog and isAccessibleForFree members (the same for every page of a base URL)."""
    if (found := _CATALOGUES.get(base_url)) is None:
        url = encode_basestring_ascii(base_url + "/")
        found = f', "includedInDataCatalog": {{"@type": "DataCatalog", "url": {url}}}, "isAccessibleForFree": true'
        _CATALOGUES[base_url] = found
    return found


_CATALOGUES: dict[str, str] = {}  # per base URL: one or two per process


def _publisher(sections: Mapping[str, Any]) -> str:
    name = _value(sections["publisher"])
    if url := sections["publisher_url"]:
        return f'{{"@id": {encode_basestring_ascii(url)}, "@type": "Organization", "name": {name}}}'
    return f'{{"@type": "Organization", "name": {name}}}'
