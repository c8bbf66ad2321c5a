"""The security headers rule adds exactly what it added before its one-pass rewrite, for any header list."""

from __future__ import annotations

import random

from landing.security import HTML_HEADERS, HTML_TYPES, add_defaults


def reference(headers: list[tuple[str, str]]) -> None:
    """The rule as it was written before (a set of every name first): kept as the reference."""
    names = {name.lower() for name, _ in headers}
    if "content-security-policy" in names:
        return
    if "x-content-type-options" not in names:
        headers.append(("X-Content-Type-Options", "nosniff"))
        names.add("x-content-type-options")
    content_type = next((value for name, value in headers if name.lower() == "content-type"), "")
    if content_type.partition(";")[0].strip() in HTML_TYPES:
        headers += [(name, value) for name, value in HTML_HEADERS.items() if name.lower() not in names]


NAMES = ["Content-Type", "content-type", "CONTENT-TYPE", "Content-Length", "X-Request-ID", "Location", "ETag"]
NAMES += list(HTML_HEADERS) + [name.lower() for name in HTML_HEADERS]
TYPES = [
    "text/html; charset=utf-8",
    "text/html",
    " text/html ;x",
    "application/xhtml+xml",
    "text/plain",
    "",
    "TEXT/HTML",
]


def test_the_one_pass_rule_adds_what_the_reference_adds_for_random_header_lists() -> None:
    chosen = random.Random(29)
    for _ in range(5000):
        headers = []
        for _ in range(chosen.randrange(0, 7)):
            name = chosen.choice(NAMES)
            value = chosen.choice(TYPES) if name.lower() == "content-type" else chosen.choice(["x", "nosniff", ""])
            headers.append((name, value))
        ours, theirs = list(headers), list(headers)
        add_defaults(ours)
        reference(theirs)
        assert ours == theirs, headers


def test_an_html_answer_gets_every_header_and_a_view_csp_wins() -> None:
    headers = [("Content-Type", "text/html; charset=utf-8")]
    add_defaults(headers)
    assert dict(headers) == {"Content-Type": "text/html; charset=utf-8", **HTML_HEADERS}
    own = [("Content-Type", "text/html"), ("Content-Security-Policy", "default-src 'self'")]
    add_defaults(own)
    assert own == [("Content-Type", "text/html"), ("Content-Security-Policy", "default-src 'self'")]
