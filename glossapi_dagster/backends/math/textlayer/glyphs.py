"""Glyphs from pdfium: each with its character, font, size, baseline and box; the rules drawn."""
from __future__ import annotations

import ctypes

from .layout import AXIS, Rule
from .scan import Glyph, TEXT
from .symbols import (
    ADOBE_PUA, base_font, decode_tex_glyph, is_broken_char, is_greek, is_math_font, is_math_symbol,
    is_math_text_font, math_alphanumeric, misread_symbol,
)


def _may_hold_math(page, textpage) -> bool:
    """A quick look: a math font among the page's text objects, or a character that only math
    (or a broken font) produces."""
    import pypdfium2.raw as raw

    fonts = set()
    for obj in page.get_objects(filter=(raw.FPDF_PAGEOBJ_TEXT,), max_depth=2):
        try:
            fonts.add(base_font(obj.get_font().get_base_name()))
        except Exception:
            return True  # a font pdfium cannot name: look closer
    if any(is_math_font(f) for f in fonts):
        return True
    text = textpage.get_text_range()
    greek_in_tex = any(is_math_text_font(f) for f in fonts)
    return any(is_math_symbol(c) and not is_greek(c) or (greek_in_tex and is_greek(c)) or (is_broken_char(c) and c not in "\r\n\t")
               or math_alphanumeric(c) is not None for c in set(text))


def _glyphs(textpage, geometry: bool = True) -> list[Glyph]:
    """The page's glyphs; without `geometry`, only what DocFonts needs (character, font, index,
    broken: the same glyphs, their size and boxes left at 0), at about half the cost."""
    import pypdfium2.raw as raw

    tp = textpage.raw
    buf = ctypes.create_string_buffer(256)
    flags = ctypes.c_int()
    l, r, b, t = (ctypes.c_double() for _ in range(4))
    ox, oy = ctypes.c_double(), ctypes.c_double()
    out = []
    for i in range(raw.FPDFText_CountChars(tp)):
        if raw.FPDFText_IsGenerated(tp, i) == 1:
            continue
        code = raw.FPDFText_GetUnicode(tp, i)
        unmapped = raw.FPDFText_HasUnicodeMapError(tp, i)
        if not unmapped and (code in (0xFFFE, 0x02, 0xAD) or chr(code).isspace()):
            continue
        if code in ADOBE_PUA and not ADOBE_PUA[code]:
            continue
        angle = raw.FPDFText_GetCharAngle(tp, i)
        if angle > 0.05 and abs(angle - 6.2832) > 0.05:
            continue  # rotated text (a margin stamp) is not a formula
        raw.FPDFText_GetFontInfo(tp, i, buf, 256, ctypes.byref(flags))
        font = base_font(buf.value.decode("utf-8", "replace"))
        ch, broken = ADOBE_PUA.get(code) or chr(code), False
        if unmapped:
            mapped = decode_tex_glyph(font, code)
            ch, broken = (mapped, False) if mapped else (ch, True)
        elif is_broken_char(ch):
            broken = True
        elif geometry:  # DocFonts needs no symbol's reading
            ch = misread_symbol(font, ch) or ch
        if not geometry:
            out.append(Glyph(ch, font, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, i, broken, TEXT, chr(code)))
            continue
        size = float(raw.FPDFText_GetFontSize(tp, i)) or 1.0
        raw.FPDFText_GetCharOrigin(tp, i, ctypes.byref(ox), ctypes.byref(oy))
        raw.FPDFText_GetCharBox(tp, i, ctypes.byref(l), ctypes.byref(r), ctypes.byref(b), ctypes.byref(t))
        x0, x1, y0, y1 = l.value, r.value, b.value, t.value
        if x1 - x0 <= 0.01 and y1 - y0 <= 0.01:  # no outline (an empty glyph): a nominal box
            x0, x1, y0, y1 = ox.value, ox.value + 0.5 * size, oy.value, oy.value + 0.7 * size
        base = oy.value
        if font.upper().startswith("CMEX"):  # extension glyphs hang from their origin: use the axis
            base = (y0 + y1) / 2 - AXIS * size
        out.append(Glyph(ch, font, size, x0, y0, x1, y1, base, i, broken, TEXT, chr(code)))
    return out


def _rules(page) -> list[Rule]:
    """Thin horizontal paths: fraction bars, radical vincula, overlines."""
    import pypdfium2.raw as raw

    rules = []
    for obj in page.get_objects(filter=(raw.FPDF_PAGEOBJ_PATH,), max_depth=2):
        try:
            x0, y0, x1, y1 = obj.get_bounds()
        except Exception:
            continue
        if 0 <= y1 - y0 <= 1.5 and x1 - x0 >= 2.0:
            rules.append(Rule(x0, y0, x1, y1))
    return rules
