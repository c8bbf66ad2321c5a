"""Write-time checks that skip work when nothing needs doing (URL quoting, ORCID, BibTeX) give the general answer."""

from __future__ import annotations

import random
import re
import string
from urllib.parse import quote

import pytest

from catalogue_core import urls
from catalogue_core.crosswalks import RenderContext
from landing import citation, model

ALPHABET = string.ascii_letters + string.digits + " _.-~/%&<>\"'\t\n\r+?#=[]:@!$()*,;{}^`|\\üß数٣\u2003X"
ODD = ["", "10.1234/abc", "10.1234/a b", "10.1234/ü", "10.1234/a#b?c%d", "10.1234/{x}", "doi:10.1/x", "A/B"]


def _random_texts(seed: int, count: int = 3000) -> list[str]:
    """Return texts of up to 23 characters, most of them DOI-like, the rest of anything URLs and BibTeX treat apart."""
    rng = random.Random(seed)
    pools = (ALPHABET, string.ascii_letters + "0123456789./-")
    return ["".join(rng.choices(pools[rng.random() < 0.7], k=rng.randrange(24))) for _ in range(count)]


def test_a_path_segment_is_quoted_as_quote_does() -> None:
    for text in [*ODD, *_random_texts(1)]:
        assert urls.in_path(text) == quote(text, safe=urls._PATH_SAFE), text


def test_a_resolver_link_is_encoded_as_the_substitution_does() -> None:
    for doi in [*ODD, *_random_texts(2)]:
        expected = urls.RESOLVER + urls._RESOLVER_UNSAFE.sub(lambda m: f"%{ord(m.group()):02X}", doi)
        assert urls.doi_url.__wrapped__(doi) == expected, doi


_OLD_ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")
ORCIDS = [
    "https://orcid.org/0000-0002-1825-0097",
    " 0000-0002-1825-009X\n",
    "x0000-0002-1825-0097",
    "0000-0002-1825-009",
    "٠٠٠٠-0002-1825-0097",
    "abc\n0000-0002-1825-0097 ",
    "0000-0002-1825-0097/",
]


def _orcid_texts(seed: int, count: int = 3000) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice("0123456789X-/ \n٣a") for _ in range(rng.randrange(26))) for _ in range(count)]


def test_an_orcid_link_is_found_as_the_anchored_search_finds_it() -> None:
    for identifier in [*ORCIDS, *_orcid_texts(3)]:
        match = _OLD_ORCID.search(identifier.strip())
        expected = "https://orcid.org/" + match.group(1) if match else None
        assert model._orcid_link.__wrapped__(identifier) == expected, identifier


def test_a_bibtex_key_keeps_the_safe_characters_of_the_doi() -> None:
    for doi in [*ODD, *_random_texts(5)]:
        assert citation.bibtex_key(doi) == citation._KEY_CHARS.sub("_", doi.lower()), doi


@pytest.mark.parametrize(
    "identifier", ["10.1/x", "doi:10.1/x", "DOI:10.1/x", "https://doi.org/10.1/x", "HTTPS://DX.DOI.ORG/10.1/x", "x"]
)
def test_a_related_doi_links_to_the_resolver_with_or_without_its_prefix(identifier: str) -> None:
    lowered = identifier.lower()
    bare = next((identifier[len(p) :] for p in model._RESOLVER_PREFIXES if lowered.startswith(p)), identifier)
    assert model._resolve.__wrapped__(identifier, "DOI") == urls.doi_url(bare)


@pytest.mark.parametrize("base", ["https://pub.example.org", "https://pub.example.org/", "http://h:8080/dmz/"])
@pytest.mark.parametrize("key", ["10.1234/abc", "10.1234/a b#c", "10.1234/ü"])
def test_a_render_context_links_a_landing_page_as_public_urls_does(base: str, key: str) -> None:
    assert RenderContext(base).landing_url(key) == urls.PublicURLs(base).landing(key)
