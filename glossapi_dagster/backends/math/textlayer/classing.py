"""Classing glyphs: strong (math fonts, symbols), weak, text or broken; the body font."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .scan import BROKEN, Glyph, STRONG, SYMBOL, TEXT, WEAK, _WEAK_CHARS
from .symbols import (
    ACCENTS, font_family, is_greek, is_math_font, is_math_symbol, is_math_text_font, math_alphanumeric,
)


@dataclass(frozen=True)
class DocFonts:
    """What classing takes from the whole document, not from one page: the body font (the one with
    the most characters) and the fonts whose unmapped glyphs are garbled text. A scan of some pages
    (a page range) given the whole document's DocFonts classes its glyphs as a whole scan does."""

    body: str | None
    textlike_broken: frozenset[str] = frozenset()

    def to_dict(self) -> dict:
        return {"body": self.body, "textlike_broken": sorted(self.textlike_broken)}

    @classmethod
    def of(cls, d: dict) -> "DocFonts":
        return cls(d["body"], frozenset(d["textlike_broken"]))


def document_fonts(glyphs: list[Glyph]) -> DocFonts:
    """`glyphs`: every read page's, in page order, each page in content order (only their font,
    index and broken flag are looked at)."""
    fonts = Counter(g.font for g in glyphs if not g.broken)
    body = fonts.most_common(1)[0][0] if fonts else None
    return DocFonts(body, frozenset(_textlike_broken_fonts(glyphs)))


def _classify(glyphs: list[Glyph], fonts: DocFonts | None = None) -> str | None:
    """Class every glyph; returns the body font. `fonts`: the document's, where `glyphs` are only
    some of its pages' (else they are the document's own)."""
    if not glyphs and fonts is None:
        return None
    fonts = fonts or document_fonts(glyphs)
    body_family = font_family(fonts.body) if fonts.body else ""
    for g in glyphs:
        g.kind = _kind(g, body_family, fonts.textlike_broken)
    return fonts.body


def _textlike_broken_fonts(glyphs: list[Glyph]) -> set[str]:
    """Fonts whose unmapped glyphs come in word-long runs: garbled *text* (e.g. legacy Greek
    fonts), a matter for OCR, not math. Math fonts' unmapped glyphs come one or two at a time.
    `glyphs` are in page order, each page in content order."""
    runs, count = Counter(), Counter()
    prev = None
    for g in glyphs:
        if g.broken:
            count[g.font] += 1
            if not (prev is not None and prev.broken and prev.font == g.font and g.index == prev.index + 1):
                runs[g.font] += 1
        prev = g
    return {f for f in count if count[f] / max(1, runs[f]) >= 2.5}


def _kind(g: Glyph, body_family: str, textlike_broken: set[str]) -> str:
    ch = g.ch
    if g.broken:
        return TEXT if g.font in textlike_broken else BROKEN
    if is_math_font(g.font):
        return STRONG
    if is_greek(ch):
        return STRONG if is_math_text_font(g.font) else TEXT
    if math_alphanumeric(ch) is not None or is_math_symbol(ch):
        return SYMBOL
    if ch in _WEAK_CHARS or ch.isdigit() or ch in ACCENTS:
        return WEAK
    if ch.isalpha() and font_family(g.font) != body_family and is_math_text_font(g.font):
        return WEAK
    return TEXT
