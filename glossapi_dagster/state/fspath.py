"""File names that are not UTF-8: old Greek archives name files in Windows-1253 or ISO-8859-7.

Python reads such a name with its undecodable bytes as lone surrogates (surrogateescape), which
open() takes back to the same bytes but which neither parquet nor JSON can hold. So:
- the store keeps the exact path, each such byte written as NUL + two hex digits (NUL is the one
  character a POSIX path never holds, so the form is reversible and leaves every UTF-8 path as it is);
- the stem and the `filename` column are the name read as Greek, for a person;
- the workers open the file through a link whose name is the stem, so that no output (Docling
  JSON, sidecar, log) ever carries an undecodable name.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

LINKS = "links"  # in the store's folder: the links workers open legacy-named files through
_SURROGATE = re.compile("[\udc80-\udcff]")
_ESCAPED = re.compile("\x00([0-9a-f]{2})")
# The legacy Greek encodings of file names (they differ in Ά and a few signs)
LEGACY = ("cp1253", "iso8859_7")


def is_clean(path: str) -> bool:
    """The path is valid Unicode (its bytes were UTF-8)."""
    return _SURROGATE.search(path) is None


def to_store(path):
    """A path as the store keeps it (reversible, valid UTF-8)."""
    if not isinstance(path, str) or is_clean(path):
        return path
    return _SURROGATE.sub(lambda m: f"\x00{ord(m.group()) - 0xDC00:02x}", path)


def from_store(value):
    """The stored form back to the path open() takes."""
    if not isinstance(value, str) or "\x00" not in value:
        return value
    return _ESCAPED.sub(lambda m: chr(0xDC00 + int(m.group(1), 16)), value)


def readable(name: str) -> str:
    """A name for a person: its undecodable bytes read in the legacy Greek encodings, else shown
    as \\xNN."""
    if is_clean(name):
        return name
    raw = os.fsencode(name)
    readings = []
    for encoding in LEGACY:
        try:
            readings.append(raw.decode(encoding))
        except UnicodeDecodeError:
            continue
    # the two encodings put Ά, Έ, ... at different bytes: the reading with more Greek letters is the one
    return max(readings, key=_greek_letters, default=raw.decode("utf-8", "backslashreplace"))


def _greek_letters(text: str) -> int:
    return sum(1 for c in text if "\u0370" <= c <= "\u03ff" or "\u1f00" <= c <= "\u1fff")


def shown(path) -> str:
    """A path in a message or a log line (never a lone surrogate, which logs and JSON refuse)."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


def worker_path(path: str, stem: str, links: Path) -> str:
    """The path a worker opens: the file's own, or for a name that is not UTF-8, a symlink to it
    named by its stem (in `links`, made or refreshed here)."""
    if is_clean(path):
        return path
    link = Path(links) / f"{stem}{Path(readable(path)).suffix.lower()}"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not (link.is_symlink() and os.readlink(link) == path):
        tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        os.symlink(path, tmp)
        os.replace(tmp, link)
    return str(link)
