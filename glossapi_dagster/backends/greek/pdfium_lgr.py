"""LGR spans of a pdfium text page found by font and decoded in place (character offsets kept).

Only pages whose text shows an LGR hint (an accent slot beside a letter, a word ending in a
vowel + `c`) are looked at per character: that costs a C call or two per character, and the hint
is one regex search over the page."""
from __future__ import annotations

import ctypes
import re
from functools import lru_cache

import pypdfium2.raw as pdfium_c

from .lgr import _ACCENTED_SLOTS, CBGREEK_FONT, MARKED_SHARE, decode_keep_length, evidence, reads_as_lgr

# one character class (over the Latin-1 bytes), then a word end after c: each scans a page at C speed, where the three
# alternatives in one pattern cost 0.1 ms a page, a twentieth of the page's whole extraction
_SLOT_BYTES = re.compile(f"[{_ACCENTED_SLOTS}]".encode("latin-1"))  # Greek dropped first: half the scan
_SLOT_BY_LETTER = re.compile(f"[A-Za-z][{_ACCENTED_SLOTS}]|[{_ACCENTED_SLOTS}][A-Za-z]")
_C_END = re.compile(r"c\b")

DECODED, UNDECODED = "lgr", "lgr_undecoded"


@lru_cache(maxsize=1)
def _get_object():
    """FPDFText_GetTextObject on plain addresses (a text page's, as an int; the object's returned as
    one): a pointer object per character and a cast to compare it cost more than the rest of the pass."""
    from ..extract.pdfium_text import plain_call

    return plain_call(pdfium_c.FPDFText_GetTextObject, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)


def has_hint(text: str) -> bool:
    """An accent slot beside a letter, or a vowel + `c` at a word's end."""
    if _SLOT_BYTES.search(text.encode("latin-1", "ignore")) and _SLOT_BY_LETTER.search(text):
        return True
    return any(m.start() and text[m.start() - 1] in "aehouw" for m in _C_END.finditer(text))


def _font_name(font, cache: dict) -> str:
    key = ctypes.cast(font, ctypes.c_void_p).value
    name = cache.get(key)
    if name is None:
        buffer = ctypes.create_string_buffer(256)
        pdfium_c.FPDFFont_GetBaseFontName(font, buffer, 256)
        name = cache[key] = buffer.value.decode("latin-1")
    return name


def decode_page(textpage, text: str) -> tuple[str, str | None]:
    """The page's text with its LGR fonts' characters decoded (same length; lgr.finish() per line
    completes it), and DECODED, UNDECODED (LGR-looking text not confidently decoded) or None.
    text must be the text page's text with one character per char index."""
    groups: dict[str, list[int]] = {}
    names: dict = {}
    get_object, get_font = _get_object(), pdfium_c.FPDFTextObj_GetFont
    handle = ctypes.cast(textpage, ctypes.c_void_p).value
    last_obj = current = None  # current: the indices of the last object's font, None for no font
    for i in range(len(text)):
        address = get_object(handle, i)
        if not address:
            continue  # pdfium's own spaces and line breaks
        if address != last_obj:  # a character of the next text object: its font looked up once
            font = get_font(ctypes.cast(address, pdfium_c.FPDF_PAGEOBJECT))
            last_obj = address
            current = groups.setdefault(f"{ctypes.cast(font, ctypes.c_void_p).value}:{_font_name(font, names)}",
                                        []) if font else None
        if current is not None:
            current.append(i)
    verdicts, undecided = {}, False
    for key, indices in groups.items():
        name = key.split(":", 1)[1]
        if name and not CBGREEK_FONT.match(name):  # a named non-cbgreek font: Latin, math, as it is
            continue
        span = _span_text(text, indices)
        verdict = reads_as_lgr(span, name or None)
        if verdict is False:
            words, lgr, _ = evidence(span)
            undecided |= lgr >= 2 and lgr >= MARKED_SHARE * words  # marked, but Latin words too
        verdicts[key] = verdict
    if not any(verdicts.values()):
        return text, (UNDECODED if undecided else None)
    chars = list(text)
    for key, verdict in verdicts.items():
        if verdict or (verdict is None and not key.split(":", 1)[1]):  # unnamed, too short to tell: as its page
            for i in groups[key]:
                chars[i] = decode_keep_length(text[i])
    return "".join(chars), (UNDECODED if undecided else DECODED)


def char_text(textpage) -> str:
    """The text page's characters one by one (FPDFText_GetText leaves out code 0), on its plain address."""
    from ..extract.pdfium_text import COUNT_CHARS, page_chars

    handle = ctypes.cast(textpage, ctypes.c_void_p).value
    return page_chars(handle, COUNT_CHARS(handle))


def _span_text(text: str, indices: list[int]) -> str:
    """The characters at indices, a space where the run breaks."""
    out, previous = [], -2
    for i in indices:
        if i != previous + 1:
            out.append(" ")
        out.append(text[i])
        previous = i
    return "".join(out)
