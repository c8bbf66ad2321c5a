"""The plain path (values written as they are, nothing to escape) gives the general writers' bytes or errors."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from datacite_examples import all_examples
from test_direct_writers import CONTEXTS, RECORDS

from catalogue_core import datacite47_plain, datacite47_xml, xmltext
from catalogue_core.crosswalks import FORMATS, RenderContext, links, render_all
from catalogue_core.record import PublishedRecord

# What a value may hold: XML specials, controls, a lone surrogate, non-BMP, non-characters, a very long
# text, and values that are not strings where strings go.
HOSTILE: list[Any] = [
    "a & b",
    "<b>x</b>",
    'say "hi"',
    "it's",
    "]]>",
    "tab\there",
    "line\nbreak",
    "carriage\rreturn",
    "nul\x00byte",
    "bell\x07",
    "del\x7f",
    "lone \ud800 surrogate",
    "emoji \U0001f9ea and 数据",
    "non-character \ufffe",
    "non-character \uffff",
    "x" * 200_000,
    "",
    " ",
    5,
    2.5,
    True,
    None,
    ["list"],
    {"a": "dict"},
    [],
]


def _outcome(write: Callable[[], Any]) -> Any:
    """Return what a writer gives, or the kind of error it raises."""
    try:
        return write()
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        return f"raises {type(error).__name__}"


def _strings(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Yield the path of every string in a JSON value."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, (*path, i))


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    value = copy.deepcopy(value)
    holder = value
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = new
    return value


def _mutants(metadata: dict[str, Any], seed: int, count: int) -> Iterator[dict[str, Any]]:
    """Yield copies of the metadata with one or two strings replaced by hostile values."""
    rng = random.Random(seed)
    paths = list(_strings(metadata))
    for _ in range(count):
        mutant = metadata
        for path in rng.sample(paths, min(len(paths), rng.choice([1, 1, 2]))):
            mutant = _replaced(mutant, path, rng.choice(HOSTILE))
        yield mutant


def _general(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every record take the general path, as before the plain path existed."""
    monkeypatch.setattr(links, "plain", lambda value: False)


def _fresh(record: PublishedRecord) -> PublishedRecord:
    # A new object: the per-record memos (links.derived, the resource) compare records by identity.
    return PublishedRecord(record.doi, record.metadata, record.extras, record.payload)


def test_the_corpus_mostly_takes_the_plain_path() -> None:
    plain = [links.derived(_fresh(r), c).plain for _, r in RECORDS for c in CONTEXTS[:1]]
    assert sum(plain) >= len(plain) * 2 // 3
    hostile = dict(RECORDS)["hostile"]
    assert not links.derived(_fresh(hostile), CONTEXTS[0]).plain


def test_plain_tells_the_values_that_go_into_element_content_as_they_are() -> None:
    for value in HOSTILE:
        if isinstance(value, str):
            as_is = xmltext.text(value) == value and not xmltext.has_illegal(value)
            # A quote needs no escape in content, but plain does not tell content from attributes there.
            assert xmltext.plain({"a": [value]}) == (as_is and '"' not in value), repr(value)
    assert xmltext.plain({"a": ["it's", "x" * 200_000, "del\x7f", "数据 \U0001f9ea", "\t\n", 5, 2.5, None, True]})
    assert not xmltext.plain({"when": __import__("datetime").date(2020, 1, 1)})
    assert not xmltext.plain({"a": "back\\nslash"})  # a backslash before an n is not a newline


def test_a_tab_or_newline_is_found_in_a_tag_only() -> None:
    assert not xmltext.space_in_tag('<a b="c">x\ny\t</a><d>\n</d>')
    assert xmltext.space_in_tag('<a b="c">x</a><d e="\n"/>')
    assert xmltext.space_in_tag('<a b="\t">x</a>')


@pytest.mark.parametrize("context", CONTEXTS)
def test_every_format_of_the_corpus_is_what_the_general_path_writes(
    context: RenderContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = {name: _outcome(lambda r=r: render_all(_fresh(r), context)) for name, r in RECORDS}
    _general(monkeypatch)
    for name, record in RECORDS:
        assert fast[name] == _outcome(lambda r=record: render_all(_fresh(r), context)), name


@pytest.mark.parametrize("seed", range(4))
def test_hostile_values_anywhere_give_the_general_paths_bytes_or_error(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = CONTEXTS[seed % 2]
    cases = []
    for name, record in RECORDS[seed::4]:
        for mutant in _mutants(record.metadata, seed, 40):
            cases.append((name, PublishedRecord(record.doi, mutant, record.extras, record.payload)))
        for extras in _mutants(record.extras, seed, 5):
            cases.append((name, PublishedRecord(record.doi, record.metadata, extras, record.payload)))
    fast = [_formats(record, context) for _, record in cases]
    _general(monkeypatch)
    for (name, record), got in zip(cases, fast, strict=True):
        assert got == _formats(record, context), name


def _formats(record: PublishedRecord, context: RenderContext) -> dict[str, Any]:
    """Return each format's outcome, rendered in turn as a write renders them."""
    fresh = _fresh(record)
    return {prefix: _outcome(lambda f=f: f.render(fresh, context)) for prefix, f in FORMATS.items()}


def _examples() -> list[tuple[str, dict[str, Any]]]:
    meta = [(f"{name}@{i}", links.with_links(r, c)) for name, r in RECORDS for i, c in enumerate(CONTEXTS)]
    return meta + sorted(all_examples().items())


@pytest.mark.parametrize(("name", "metadata"), _examples(), ids=lambda v: v if isinstance(v, str) else "")
def test_the_plain_resource_writer_gives_the_general_bytes(name: str, metadata: dict[str, Any]) -> None:
    expected = _outcome(lambda: datacite47_xml.resource_xml(metadata))
    if xmltext.plain(metadata):
        assert datacite47_plain.resource_xml(metadata) == expected
    taken = 0
    for mutant in _mutants(metadata, len(name), 30):
        if not xmltext.plain(mutant):
            continue
        # The plain writer may leave metadata to the general one (None); what it writes is the general bytes.
        if (got := datacite47_plain.resource_xml(mutant)) is not None:
            assert got == datacite47_xml.resource_xml(mutant), name
            taken += 1
    assert taken or not xmltext.plain(metadata)
