"""A search query's distinct terms, as both stores' browse and the landing index read them."""

from __future__ import annotations

import re

from ..text import fold

# A search word is a run of letters and digits, as SQLite FTS5's unicode61 tokenizer sees it.
_WORD = re.compile(r"[^\W_]+")


def search_terms(text: str | None) -> list[list[str]]:
    """Return the distinct search terms of a query: per whitespace-separated term, its folded words.

    Repeated terms count once, and a term that is the start of another term adds nothing (`neutron neut`
    is `neutron`), so `1 1 1 ...` costs one lookup. Callers refuse more than MAX_SEARCH_TERMS.
    """
    found: list[list[str]] = []
    for term in (text or "").split():
        words = _WORD.findall(fold(term))
        if words and words not in found:
            found.append(words)
    return [w for w in found if not any(o != w and _starts(o, w) for o in found)]


def _starts(longer: list[str], shorter: list[str]) -> bool:
    """Tell whether the phrase `shorter` (last word a prefix) matches wherever `longer` does."""
    n = len(shorter)
    return any(
        longer[i : i + n - 1] == shorter[:-1] and longer[i + n - 1].startswith(shorter[-1])
        for i in range(len(longer) - n + 1)
    )
