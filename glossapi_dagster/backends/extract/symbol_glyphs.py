"""Glyphs of symbol fonts that have no character: a form's checkboxes are not text.

A dingbat font (Wingdings, ZapfDingbats, a Type 3 font of drawn boxes) without a ToUnicode map has
no Unicode for its glyphs; pdfium gives such a glyph's code as a C1 control (U+0080-U+009F), and
ftfy then reads it as Windows-1252 punctuation: a checkbox becomes `„`. A C1 control drawn in a font
pdfium calls symbolic, or in one with no flags at all (a Type 3 font), is no letter of the text and
is dropped (which box was ticked cannot be read from it). A C1 control in a text font is left for
ftfy: UTF-8 read as Latin-1 (Greek included) leaves them, and that mojibake it repairs."""
from __future__ import annotations

import ctypes
import re

import pypdfium2.raw as pdfium_c

SYMBOLIC = 4  # the PDF font descriptor's Symbolic flag
_C1 = re.compile("[\u0080-\u009f]")


def drop_symbol_glyphs(textpage, text: str) -> str:
    """text (the page's, one character per pdfium character index) with the symbol fonts' C1
    glyph codes made blanks (the offsets stay those of pdfium's characters)."""
    if not _C1.search(text):
        return text
    chars = list(text)
    flags = ctypes.c_int()
    for m in _C1.finditer(text):
        pdfium_c.FPDFText_GetFontInfo(textpage, m.start(), None, 0, ctypes.byref(flags))
        if flags.value == 0 or flags.value & SYMBOLIC:
            chars[m.start()] = " "
    return "".join(chars)
