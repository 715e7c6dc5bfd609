"""pdfium's text page read the cheap way, and the spaces its text leaves out.

Plain calls: pypdfium2's raw bindings convert each handle to and from its pointer type, half the
time of a short call (a character box: 1.2 us through the binding, 0.6 us on a plain address);
the safe backend makes a few such calls a line, so it makes them on plain addresses.

Spaces that a reader sees and pdfium's page text leaves out: between table cells far apart on
one line (`X` marks of a checkbox table read as `XX`), and before a raised footnote mark
(`Center1` for `Center¹`). Docling's parser splits both; the safe backend puts the space back.
Both checks read character boxes, a C call each, so they run only where they can matter: the gap
check on lines far wider than their characters need, the superscript check on a letter followed
by a digit."""
from __future__ import annotations

import ctypes
import re
from itertools import repeat

import pypdfium2.raw as pdfium_c


def plain_call(fn, restype, *argtypes):
    """fn (a pypdfium2 raw binding) as the same C function on plain addresses: handles and
    out-pointers passed and returned as ints."""
    call = type(fn)(ctypes.cast(fn, ctypes.c_void_p).value)  # same function, same calling convention
    call.restype, call.argtypes = restype, argtypes
    return call


def address(handle) -> int:
    """A pypdfium2 handle or ctypes object as the int plain calls take."""
    return ctypes.cast(handle, ctypes.c_void_p).value if not isinstance(handle, ctypes.Structure) else ctypes.addressof(handle)


def bare_call(fn, restype):
    """fn as the same C function with no argument types, for the calls made a few times a line:
    ctypes passes a c_void_p object as its pointer and an int as a C int with no from_param
    conversion an argument (a character box: 0.8 us a call against 1.4). Its pointers must be
    c_void_p objects (a text page's: c_void_p(address)); an int is passed as a C int."""
    call = type(fn)(ctypes.cast(fn, ctypes.c_void_p).value)
    call.restype = restype
    return call


_P, _I = ctypes.c_void_p, ctypes.c_int
LOOSE_BOX = bare_call(pdfium_c.FPDFText_GetLooseCharBox, _I)  # (c_void_p text page, index, c_void_p FS_RECTF*)
FONT_SIZE = bare_call(pdfium_c.FPDFText_GetFontSize, ctypes.c_double)  # (c_void_p text page, index)
UNICODE = plain_call(pdfium_c.FPDFText_GetUnicode, ctypes.c_uint, _P, _I)
# A document's and its pages' lifecycle, on plain addresses too: pypdfium2's PdfDocument resolves
# the path, registers finalizers and keeps the pages' parents (~0.1 ms a document, several
# per cent of a two-page one), and each call through a raw binding converts its handle.
LOAD_PAGE = plain_call(pdfium_c.FPDF_LoadPage, _P, _P, _I)       # (document, index) -> page or None
CLOSE_PAGE = plain_call(pdfium_c.FPDF_ClosePage, None, _P)
PAGE_WIDTH = plain_call(pdfium_c.FPDF_GetPageWidthF, ctypes.c_float, _P)
PAGE_HEIGHT = plain_call(pdfium_c.FPDF_GetPageHeightF, ctypes.c_float, _P)
LOAD_TEXT = plain_call(pdfium_c.FPDFText_LoadPage, _P, _P)      # (page) -> text page or None
CLOSE_TEXT = plain_call(pdfium_c.FPDFText_ClosePage, None, _P)
COUNT_CHARS = plain_call(pdfium_c.FPDFText_CountChars, _I, _P)
GET_TEXT = plain_call(pdfium_c.FPDFText_GetText, _I, _P, _I, _I, _P)  # (text page, start, count, buffer)
_LOAD_DOCUMENT = plain_call(pdfium_c.FPDF_LoadDocument, _P, ctypes.c_char_p, ctypes.c_char_p)
_PAGE_COUNT = plain_call(pdfium_c.FPDF_GetPageCount, _I, _P)
CLOSE_DOCUMENT = plain_call(pdfium_c.FPDF_CloseDocument, None, _P)


def open_document(path) -> tuple[int, int]:
    """(document, page count) of the PDF at path; what pypdfium2's PdfDocument raises where it
    cannot be read (FileNotFoundError; PdfiumError naming pdfium's error, e.g. a password)."""
    import os

    import pypdfium2 as pdfium
    from pypdfium2.internal import ErrorToStr

    if not os.path.isfile(path):
        raise FileNotFoundError(path)
    document = _LOAD_DOCUMENT(os.fsencode(path) + b"\0", None)
    count = _PAGE_COUNT(document) if document else 0
    if count < 1:
        error = pdfium_c.FPDF_GetLastError()
        if document:
            CLOSE_DOCUMENT(document)
        raise pdfium.PdfiumError(f"Failed to load document (PDFium: {ErrorToStr.get(error)}).", err_code=error)
    return document, count


def typed(handle: int, kind):
    """A plain address as the pypdfium2 handle type the raw bindings take (pdfium_c.FPDF_PAGE, ...)."""
    return ctypes.cast(handle, kind)


_BUFFER = [(ctypes.c_ushort * 1)()]  # FPDFText_GetText's output, grown as pages need, kept


def page_text(textpage: int, count: int) -> str:
    """All the text of a text page of `count` characters, in pdfium's order (FPDFText_GetText:
    UTF-16, NUL-terminated; it leaves out some control codes)."""
    if count <= 0:
        return ""
    if len(_BUFFER[0]) < 2 * count + 1:  # room for every character as a surrogate pair
        _BUFFER[0] = (ctypes.c_ushort * (4 * count + 2))()
    buffer = _BUFFER[0]
    written = GET_TEXT(textpage, 0, count, ctypes.addressof(buffer))
    return ctypes.string_at(buffer, 2 * max(written - 1, 0)).decode("utf-16-le", "ignore")


def page_chars(textpage: int, count: int) -> str:
    """The text page's characters one by one, control codes included (FPDFText_GetText leaves
    some out), so that offsets in the text are character indices."""
    return "".join(map(chr, map(UNICODE, repeat(textpage, count), range(count))))


# Line width / (characters x loose line height), measured over the corpus's 31 000 lines: 95% of
# them (97.5% of their characters) under 0.6, where no gap was found; the checkbox rows of
# redp5110 0.64-1.8. Lines over 0.6 are looked into.
WIDE_LINE = 0.6
# A gap between two characters wider than the line's height is not a word space (~0.3 em) nor
# kerning: it separates cells or columns.
CELL_GAP = 1.0
# The widest character (W, M, an em dash: ~1 em) over a loose line height (~1.2 em or more): a
# word wider than this a character plus CELL_GAP holds a gap.
WIDEST_CHAR = 0.85
_RUN = re.compile(r"\S+")
# A digit whose loose box starts this share of the letter's box height above the letter's is a
# superscript (redp5110's footnote marks: 0.48); subscripts (H2O) are left alone.
SUPERSCRIPT_RISE = 0.25

# a digit right after a letter; the digit first, so the scan for it runs at the regex engine's
# speed (10x `[^\W\d_]\d`) and the look-behind is tried at digits only
LETTER_DIGIT = re.compile(r"[0-9](?<=[^\W\d_][0-9])")


def respace(textpage: ctypes.c_void_p, text: str, first: int, end: int, height: float, wide: bool,
            marks: list[int], mark: int, rect, ref: ctypes.c_void_p) -> str:
    """text[first:end] (one line, character indices equal to text offsets) with a space put in
    at each gap (when `wide`) and before each raised digit of marks[mark:] inside the line.
    textpage and ref (rect's address) as c_void_p objects (bare_call's)."""
    loose_box = LOOSE_BOX
    cuts: list[int] = []
    if wide:  # a word (as pdfium spaced it) far wider than its characters is looked into
        gap = CELL_GAP * height
        for run in _RUN.finditer(text, first, end):
            start, stop = run.span()
            if stop - start < 2:
                continue
            loose_box(textpage, start, ref)
            left = rect.left
            loose_box(textpage, stop - 1, ref)
            if rect.right - left <= gap + WIDEST_CHAR * (stop - start) * height:
                continue
            right = None
            for k in range(start, stop):
                loose_box(textpage, k, ref)
                if right is not None and rect.left - right > gap:
                    cuts.append(k)
                right = rect.right
    for k in marks[mark:mark + end - first]:  # sorted; at most one a character
        if k >= end:
            break
        if k not in cuts:
            loose_box(textpage, k - 1, ref)
            bottom, top = rect.bottom, rect.top
            loose_box(textpage, k, ref)
            if rect.bottom - bottom > SUPERSCRIPT_RISE * (top - bottom):
                cuts.append(k)
    if not cuts:
        return text[first:end]
    cuts.sort()
    parts, start = [], first
    for k in cuts:
        parts.append(text[start:k])
        start = k
    parts.append(text[start:end])
    return " ".join(parts)
