"""A formula's glyphs as the atoms the 2D layout takes: words, combined arrows, big operators."""
from __future__ import annotations

import statistics

from .layout import AXIS, Atom
from .scan import Glyph
from .symbols import (
    ACCENTS, BIG_OPERATORS, BINARY, BRACE_PIECES, FUNCTIONS, LIMIT_FUNCTIONS, RELATIONS, STANDARD_FUNCTIONS,
    base_font, char_latex, font_family, font_style, is_greek, is_italic_font, is_math_font, is_math_text_font,
)


def _atoms(glyphs: list[Glyph], body_family: str) -> list[Atom]:
    """Numbers and upright words (function names, \\text) become one atom each, every other
    glyph its own. Limits and scripts interleave in x order, so a word is read on its own line."""
    seq = _combine(sorted((g for g in glyphs if g.ch not in BRACE_PIECES), key=lambda g: (g.x0, -g.base)))
    used: set[int] = set()
    atoms: list[Atom] = []
    for i, g in enumerate(seq):
        if id(g) in used:
            continue
        if g.ch.isdigit() and not g.broken:
            group = _same_line(seq, i, lambda a, b, nxt: b.ch.isdigit() or (
                b.ch == "." and nxt is not None and nxt.ch.isdigit()), 0.2)
            atoms.append(_group_atom(group, "".join(x.ch for x in group), "ord"))
        elif g.ch.isalpha() and not is_greek(g.ch) and not is_italic_font(g.font) and not is_math_font(g.font):
            group = _same_line(seq, i, lambda a, b, nxt: b.ch.isalpha() and not is_greek(b.ch) and b.font == a.font,
                               0.15)
            word = "".join(x.ch for x in group)
            if len(group) > 1:
                atoms.append(_word_atom(group, word, body_family))
            else:
                atoms.append(_glyph_atom(g))
        else:
            group = [g]
            atoms.append(_glyph_atom(g))
        used.update(id(x) for x in group)
    return _merge_arg(atoms)


_COMBINE = {("↦", "→"): "↦", ("⇐", "⇒"): "⟺", ("=", "⇒"): "⟹", ("⇐", "="): "⟸", ("−", "→"): "⟶",
            ("-", "→"): "⟶", ("←", "−"): "⟵", ("←", "-"): "⟵", (":", "="): "≔", ("↦", "−"): "↦",
            ("<", "−"): "←"}


def _combine(seq: list[Glyph]) -> list[Glyph]:
    """Signs TeX builds from two glyphs (↦ from a bar and an arrow, := , ⟺ from ⇐ and ⇒)."""
    out: list[Glyph] = []
    for g in seq:
        prev = out[-1] if out else None
        if prev is not None and (prev.ch, g.ch) in _COMBINE and abs(prev.base - g.base) < 0.15 * g.size \
                and g.x0 - prev.x1 <= 0.25 * g.size:
            out[-1] = Glyph(_COMBINE[(prev.ch, g.ch)], g.font, max(prev.size, g.size), prev.x0, min(prev.y0, g.y0),
                            g.x1, max(prev.y1, g.y1), prev.base, prev.index, prev.broken or g.broken, prev.kind)
        else:
            out.append(g)
    return out


def _same_line(seq: list[Glyph], i: int, joins, max_gap: float) -> list[Glyph]:
    """seq[i] and the glyphs that follow it on its baseline, as long as `joins` says so."""
    first = seq[i]
    line = [g for g in seq[i + 1:] if abs(g.base - first.base) < 0.15 * first.size
            and abs(g.size - first.size) < 0.1 * first.size]
    group = [first]
    for k, g in enumerate(line):
        nxt = line[k + 1] if k + 1 < len(line) else None
        if g.x0 - group[-1].x1 > max_gap * first.size or not joins(group[-1], g, nxt):
            break
        group.append(g)
    return group


def _word_atom(glyphs: list[Glyph], word: str, body_family: str) -> Atom:
    if word in FUNCTIONS:
        if word in STANDARD_FUNCTIONS:
            latex = "\\" + word
        elif word in ("argmin", "argmax"):
            latex = r"\operatorname*{arg\," + word[3:] + "}"
        else:
            latex = r"\operatorname{" + word + "}"
        atom = _group_atom(glyphs, latex, "op")
        atom.limits = word in LIMIT_FUNCTIONS
        atom.text = word
        return atom
    if font_family(glyphs[0].font) == body_family and not is_math_text_font(glyphs[0].font):
        return _group_atom(glyphs, r"\text{" + word + "}", "text")
    style = font_style(glyphs[0].font) or "mathrm"
    return _group_atom(glyphs, f"\\{style}{{{word}}}", "ord")


def _merge_arg(atoms: list[Atom]) -> list[Atom]:
    """'arg' set apart from 'min' by a thin space is still one operator."""
    out: list[Atom] = []
    for a in sorted(atoms, key=lambda a: a.x0):
        prev = out[-1] if out else None
        if prev is not None and prev.text == "arg" and a.text in ("min", "max") and a.x0 - prev.x1 < 0.5 * a.size:
            merged = _group_atom([], r"\operatorname*{arg\," + a.text + "}", "op", (prev, a))
            merged.limits, merged.text = True, "arg" + a.text
            out[-1] = merged
        else:
            out.append(a)
    return out


def _group_atom(glyphs: list[Glyph], latex: str, kind: str, atoms: tuple = ()) -> Atom:
    parts = list(glyphs) + list(atoms)
    size = max(p.size for p in parts)
    return Atom(latex, min(p.x0 for p in parts), min(p.y0 for p in parts), max(p.x1 for p in parts),
                max(p.y1 for p in parts), statistics.median(p.base for p in parts), size, kind,
                "".join(getattr(p, "ch", getattr(p, "text", "")) for p in parts))


def _glyph_atom(g: Glyph) -> Atom:
    ch, size = g.ch, g.size
    base = g.base
    if base_font(g.font).upper().startswith("CMEX") or (g.y1 - g.y0) > 1.6 * size:
        base = (g.y0 + g.y1) / 2 - AXIS * size  # big glyphs hang around the math axis, not on a baseline
    atom = Atom(char_latex(ch), g.x0, g.y0, g.x1, g.y1, base, size, "ord", ch)
    if g.broken:
        atom.latex = "?"
        return atom
    high = g.y0 > g.base + 0.35 * size and (g.y1 - g.y0) < 0.4 * size
    if ch in ACCENTS and (high or ch in "¯ˆ˜˙¨ˇ˘"):
        atom.kind, atom.accent = "accent", ACCENTS[ch]
        return atom
    if ch in ("^", "~") and high:
        atom.kind, atom.accent = "accent", ACCENTS["ˆ" if ch == "^" else "˜"]
        return atom
    if ch == "√":
        atom.kind, atom.latex = "rad", r"\surd"
        return atom
    if ch in BIG_OPERATORS:
        atom.kind, atom.limits = "op", ch not in "∫∬∭∮"
    elif ch in RELATIONS:
        atom.kind = "rel"
    elif ch in BINARY:
        atom.kind = "bin"
    elif ch in "([⟨⌊⌈{〈":
        atom.kind = "open"
    elif ch in ")]⟩⌋⌉}〉":
        atom.kind = "close"
    elif ch in ",;.:!":
        atom.kind = "punct"
    elif ch in "′″'":
        atom.kind, atom.latex = "prime", "'"
    elif ch.isascii() and ch.isalpha():
        style = font_style(g.font)
        if style in ("mathcal", "mathbb", "mathfrak") and ch.isupper() or style == "mathbf":
            atom.latex = f"\\{style}{{{ch}}}"
    return atom
