"""XML written straight to text, escaped byte for byte as lxml serialises it (the formats were lxml's before)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import orjson

# What lxml refuses to put in a document (it raises ValueError), checked once over a whole output on its
# UTF-8 bytes: ~10x cheaper than a regex over a 3 kB document. Encoding fails on a lone surrogate, control
# characters are single bytes below 0x20, U+FFFE and U+FFFF have one sequence each.
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_NON_CHARACTERS = ("\ufffe".encode(), "\uffff".encode())
# Types JSON has not (dates, dataclasses, str subclasses) make orjson raise: such values take the general path.
_JSON_ONLY = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
_ATTRIBUTE_SPACE = str.maketrans({"\t": "&#9;", "\n": "&#10;", "\r": "&#13;"})


def _strict(value: object) -> str:
    if type(value) is not str:
        # As lxml does for a number or None where text or an attribute value goes.
        raise TypeError(f"bad argument type: {type(value).__name__}({value!r})")
    return value


def text(value: object) -> str:
    """Return element content as lxml writes it: & < > and carriage returns escaped, quotes kept."""
    # The type check inlined, not _strict's call: a record writes ~100 values through here.
    if type(value) is not str:
        return _strict(value)
    # Four substring tests, not a regex search: ~3x cheaper on the plain values most metadata holds.
    if not ("&" in value or "<" in value or ">" in value or "\r" in value):
        return value
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\r", "&#13;") if "\r" in escaped else escaped


def attribute(value: object) -> str:
    """Return a double-quoted attribute value as lxml writes it (tab, newline and carriage return as references)."""
    if type(value) is not str:
        return _strict(value)
    if not (
        "&" in value or "<" in value or ">" in value or '"' in value or "\t" in value or "\n" in value or "\r" in value
    ):
        return value
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return escaped.translate(_ATTRIBUTE_SPACE) if ("\t" in escaped or "\n" in escaped or "\r" in escaped) else escaped


def _attributes(attributes: Mapping[str, object] | None) -> str:
    if not attributes:
        return ""
    return "".join([f' {name}="{attribute(value)}"' for name, value in attributes.items()])


def element(tag: str, attributes: Mapping[str, object] | None = None, content: str | None = None) -> str:
    """Return an element with already escaped content; None makes it empty (<tag/>), "" makes <tag></tag>."""
    attrs = _attributes(attributes)
    return f"<{tag}{attrs}/>" if content is None else f"<{tag}{attrs}>{content}</{tag}>"


def leaf(tag: str, value: object, attributes: Mapping[str, object] | None = None) -> str:
    """Return an element holding one text value (which must be a string, as lxml's builder demands)."""
    # element(tag, attributes, text(value)) written out: one call per value instead of three.
    content = text(value)
    if attributes:
        return f"<{tag}{_attributes(attributes)}>{content}</{tag}>"
    return f"<{tag}>{content}</{tag}>"


def children(tag: str, parts: Iterable[str], attributes: Mapping[str, object] | None = None) -> str:
    """Return an element holding already written children; none make it empty (<tag/>)."""
    content = "".join(parts)
    return element(tag, attributes, content or None)


def has_illegal(document: str) -> bool:
    """Return whether the text holds a character XML 1.0 cannot carry (controls, surrogates, U+FFFE/U+FFFF)."""
    try:
        data = document.encode()
    except UnicodeEncodeError:
        return True  # a lone surrogate
    if len(data.translate(None, _CONTROL_BYTES)) != len(data):
        return True
    return not document.isascii() and any(sequence in data for sequence in _NON_CHARACTERS)


def root(tag: str, declarations: str, parts: Iterable[str]) -> str:
    """Return a whole document's root element: raw namespace declarations and attributes, then the children.

    Raises ValueError, as lxml does, when the text holds characters XML 1.0 cannot carry.
    """
    content = "".join(parts)
    document = f"<{tag} {declarations}>{content}</{tag}>" if content else f"<{tag} {declarations}/>"
    if has_illegal(document):
        raise ValueError("All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters")
    return document


def plain(value: object) -> bool:
    """Tell whether every string in a JSON value goes into element content as it is: nothing to escape or refuse.

    True lets a writer put the strings in without text() and skip has_illegal; tabs and newlines are
    allowed (text() keeps them), so one that may land in an attribute is checked by space_in_tag.
    One look at orjson's text of the whole value: a backslash stands for a quote, a backslash or a
    control character; a lone surrogate makes orjson raise.
    """
    try:
        data = orjson.dumps(value, option=_JSON_ONLY)
    except TypeError:
        return False
    # Byte values, not one-byte strings, after `in`: memchr, ~20x cheaper on a 3 kB text here.
    if 92 in data:  # a backslash: only the escapes of tab and newline may stay plain
        data = data.replace(b"\\n", b"").replace(b"\\t", b"")
        if 92 in data:
            return False
    if 38 in data or 60 in data or 62 in data:  # & < >
        return False
    # U+FFFE and U+FFFF are the only XML-illegal characters left; both start with the byte 0xEF.
    return 0xEF not in data or not any(sequence in data for sequence in _NON_CHARACTERS)


def space_in_tag(document: str) -> bool:
    """Tell whether a plainly written document holds a tab or newline inside a tag (an attribute value).

    Plain values hold no < or >, so the nearest one before a character tells whether it is in a tag.
    """
    for space in ("\n", "\t"):
        at = document.find(space)
        while at >= 0:
            if document.rfind("<", 0, at) > document.rfind(">", 0, at):
                return True
            at = document.find(space, at + 1)
    return False
