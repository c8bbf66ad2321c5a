"""Signposting link targets: the plain-URI shortcut gives exactly what percent-encoding every link gave."""

from __future__ import annotations

import random
import string
from urllib.parse import quote

from landing.signposting import _STRAY_PERCENT, _URI_SAFE, _uri


def _quoted(href: str) -> str:
    return quote(_STRAY_PERCENT.sub("%25", href), safe=_URI_SAFE)


def test_every_link_target_is_encoded_as_quote_encodes_it() -> None:
    rng = random.Random(13)
    alphabet = string.printable + "üé数据\u202e%%%"
    hrefs = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(20000)]
    hrefs += ["".join(map(chr, range(256))), "https://doi.org/10.1/x%2", "https://a.b/%zz", "https://ror.org/01wv9cn34"]
    assert [h for h in hrefs if _uri(h) != _quoted(h)] == []
    assert _uri("https://x.example/a b") == "https://x.example/a%20b"
