"""The media type by extension table gives the answers mimetypes' own guess gives, for every kind of name."""

from __future__ import annotations

import random
import string

from download_cache import media
from download_cache.media import guess, media_type

_TABLES = media._TYPES
EXTENSIONS = sorted(
    {
        *_TABLES.types_map[True],
        *_TABLES.types_map[False],
        *_TABLES.encodings_map,
        *_TABLES.suffix_map,
        *(".x-unknown", ".", "..", ".Gz", ".TGZ", ".tar", ".JSON", ".é", ".nxs", ".h5", ".z", ".Z", ".br"),
    }
)
STEMS = ["run42", "dir.v2/run", ".hidden", "..", "a..", "data:text/plain,x", "", "x?y", "x#y", "a;b", "über/ß", " "]
ODD = [
    "README",
    ".gz",
    "..gz",
    "dir.d/README",
    "a.tar.gz",
    "a.tar.GZ",
    "a.TAR.gz",
    "run:1.nxs",
    "x.dat:foo.txt",
    "data:text/csv,hello.txt",
    "data:image/png;base64,abc",
    "http://example.org/a.pdf?b.txt",
    "C:thing.pdf",
    "a.txt\t",
    "a\n.txt",
    "ends.with.dot.",
    "/abs/path/file.CSV",
    "a.svgz",
    "b.tbz2",
    "c.txz",
    "d.taz",
    "e.tz",
]


def _names() -> list[str]:
    names = [stem + ext for stem in STEMS for ext in EXTENSIONS] + ODD
    rng = random.Random(13)
    alphabet = string.ascii_letters + string.digits + "./:-_~%?#;+ é"
    names += ["".join(rng.choices(alphabet, k=rng.randint(0, 14))) for _ in range(5000)]
    return names


def test_the_table_answers_as_mimetypes_for_every_known_odd_and_random_name() -> None:
    names = _names()
    media._BY_EXTENSION.clear()
    assert [media_type(name) for name in names] == [guess(name) for name in names]
    # Asked again, the answers come from the table: still the same.
    assert [media_type(name) for name in names] == [guess(name) for name in names]


def test_the_table_stops_growing_at_its_bound_and_still_answers() -> None:
    media._BY_EXTENSION.clear()
    names = [f"f.e{i}" for i in range(media._MAX_EXTENSIONS + 50)] + ["g.csv"]
    assert [media_type(name) for name in names] == [guess(name) for name in names]
    assert len(media._BY_EXTENSION) == media._MAX_EXTENSIONS
    media._BY_EXTENSION.clear()
