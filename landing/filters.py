"""Template filters: free text to safe paragraphs with links, and compact number forms."""

from __future__ import annotations

import re

from markupsafe import Markup

from . import model
from .blueprint import bp
from .head import html_escape
from .model import human_size

_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
_BLANK_LINE = re.compile(r"\n\s*\n")


def linkify(text: str) -> Markup:
    """Return the text escaped, with its http(s) URLs as links."""
    # Plain strings joined once, not Markup.format per piece: every description passes here at write time.
    # html_escape: markupsafe's escape without a Markup object per piece.
    out: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        out.append(html_escape(text[last : match.start()]))
        url = html_escape(match.group(0))
        out.append(f'<a href="{url}" rel="nofollow">{url}</a>')
        last = match.end()
    out.append(html_escape(text[last:]))
    return Markup("".join(out))


@bp.app_template_filter("paragraphs")
def paragraphs(text: str) -> Markup:
    """Return free text as <p> elements: blank lines part paragraphs, newlines break lines."""
    return Markup(paragraph_html(text))


def paragraph_html(text: str) -> str:
    """Return what `paragraphs` returns, as a plain string (the page body joins it with its own)."""
    if "\n" not in text and "http" not in text:
        # One line without a link (most abstracts): one paragraph, what the general path below gives it.
        line = text.strip()
        return f"<p>{html_escape(line)}</p>" if line else ""
    parts = [p.strip() for p in _BLANK_LINE.split(text.replace("\r\n", "\n")) if p.strip()]
    return "".join("<p>" + "<br>".join(linkify(line) for line in part.split("\n")) + "</p>" for part in parts)


@bp.app_template_filter("bytes")
def bytes_filter(size: int | None) -> str:
    """Return a byte count in decimal units."""
    return human_size(size)


@bp.app_template_filter("thousands")
def thousands(number: int) -> str:
    """Return a whole number with thin-space thousands separators."""
    return model.thousands(number)
