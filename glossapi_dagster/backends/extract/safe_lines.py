"""The safe backend's first step: pdfium's text of one page, split into lines, the lines grouped
into blocks (paragraphs, or headings to be).

A line's box comes from its first and last character, its size from the first character's font.
Lines of one size and close together become a block; soft-hyphen marks that pdfium leaves in the
text are resolved here, while the character boxes are at hand.
"""
from __future__ import annotations

import ctypes
import re
import struct

import pypdfium2.raw as pdfium_c

from ..greek.lgr import GONE
from ..greek.pdfium_lgr import DECODED, char_text, decode_page, has_hint
from .pdfium_text import (
    COUNT_CHARS, FONT_SIZE, LETTER_DIGIT, LOOSE_BOX, SUPERSCRIPT_RISE, WIDE_LINE, page_chars, page_text, respace,
    typed,
)
from ..paragraph_starts import split_at_starts
from .letter_spacing import HINT, SPACED, unspace
from .line_spacing import join_spaced_lines
from .symbol_glyphs import drop_symbol_glyphs

_DIGITS = frozenset("0123456789")
# a line that starts with a footnote's number glued to its text's first word, a capital (`2Αυτή`)
_MARK_FIRST = re.compile(r"[1-9][0-9]{0,2}(?=[^\W\d_a-zα-ωά-ώ])")
# A line's text without its surrounding blanks (pdfium ends lines with \r\n); blank lines never match.
# It starts at a character class, which the regex engine skips to at C speed.
_LINE = re.compile(r"\S(?:[^\r\n]*\S)?")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe]")  # what FPDFText_GetText leaves out, and U+FFFE
_SOFT = "\ufffe"    # pdfium's mark of a soft hyphen that broke a word across lines (U+0002 too, where
# it may also be an unmapped glyph: left alone)
# pdfium marks every hyphen that ends a line, a compound's too; after a small letter and before a
# capital (`Έρευνας-` / `Πληροφορικής`, `Lennard-` / `Jones`) the hyphen belongs to the word: a
# hyphenation goes on in lower case, or in capitals after capitals (`ΟΙΚΟΝΟΜΙ-` / `ΚΗΣ`)
# (the mark first, the letter before it looked behind at: the regex engine skips to a mark at C speed)
_COMPOUND = re.compile("[\ufffe\x02](?<=[^\\W\\d_].)(?=[^\\W\\d_])")
# a soft hyphen's next character this much taller or shorter (loose boxes: font ascent to descent)
# is another text's: a body line's 9 pt against the gazette's masthead's 42 pt; bold and regular
# faces of one size, 1.0-1.15
JUMP_RATIO = 1.6
JUMP_LINES = 3.0          # a hyphenated word's rest is on the next line, not this many lines below
SIZE_TOLERANCE = 0.6      # points: lines of one block have this font size
LINE_GAP = 0.65           # a gap between two lines' boxes over this share of a line's height ends a block
SCRIPT_RATIO = 0.85       # a subscript or superscript is set this much smaller than its line, or more
BASELINE_TOLERANCE = 0.15  # of the font size: two runs' first characters on one baseline
SPACE_GAP = 0.15          # of the font size: a gap this wide between two runs of a line is a space
# an FS_RECTF's four floats (left, top, right, bottom) in one call, where each field read is one
_RECT = struct.Struct("4f").unpack_from


class Block:
    """Consecutive lines of one size, vertically close: a paragraph (or a heading)."""

    __slots__ = ("lines", "l", "b", "r", "t", "size_sum", "kind", "text", "boxes")

    def __init__(self, line: str, l: float, b: float, r: float, t: float, size: float):
        self.lines, self.l, self.b, self.r, self.t = [line], l, b, r, t
        self.size_sum, self.kind, self.text = size, "text", ""
        self.boxes = [(l, b, r, t)]  # each line's: where a paragraph starts (paragraph_starts.py)


def read_blocks(textpage: int, width: float, height: float, sizes: dict, rect, ref: ctypes.c_void_p
                ) -> tuple[str, list[Block], str | None]:
    """The page's text, and its lines grouped into blocks. A line's box is the union of its
    first and last characters' loose boxes (pdfium's: font ascent to descent, so every line of
    one font is as tall), its size the first character's font size. textpage: its address; rect
    and ref: an FS_RECTF and its address as a c_void_p (pdfium_text.bare_call), reused for every
    box read."""
    count = COUNT_CHARS(textpage)
    text = page_text(textpage, count)
    aligned = len(text) == count  # char indices match text offsets
    lgr_state = None
    if has_hint(text):  # cbgreek fonts without ToUnicode: decoded span by span
        raw = typed(textpage, pdfium_c.FPDF_TEXTPAGE)
        if not aligned:  # FPDFText_GetText drops code 0 (LGR's en dash): one char at a time
            decoded, lgr_state = decode_page(raw, char_text(raw))
            if lgr_state == DECODED:
                text, aligned = decoded.replace("\x00", GONE), True
        else:
            text, lgr_state = decode_page(raw, text)
    controls = not aligned and lgr_state != DECODED
    if controls:  # FPDFText_GetText left out control codes (unmapped glyphs: \x00, \x02,
        # \x03), which puts every later character off its box: one char at a time (6% of pages)
        text, aligned = page_chars(textpage, count), True
    if aligned:  # a symbol font's glyphs without a character (checkboxes) are no text
        text = drop_symbol_glyphs(typed(textpage, pdfium_c.FPDF_TEXTPAGE), text)
    # pdfium marks a soft hyphen that broke a word across lines with U+FFFE (or U+0002)
    # and does not break the line there: the word is whole once the mark is gone.
    soft = controls or "\ufffe" in text or "\x02" in text
    # offsets of digits right after a letter: footnote marks pdfium runs into the word?
    marks = [m.start() for m in LETTER_DIGIT.finditer(text)] if aligned else []
    spaced = aligned and HINT.search(text) is not None  # single letters between spaces: tracking?
    mark = 0  # the first mark not before the current line (lines come in text order)
    # the character calls' text page as a c_void_p object (pdfium_text.bare_call), made once a page
    loose_box, font_size, handle, unpack = LOOSE_BOX, FONT_SIZE, ctypes.c_void_p(textpage), _RECT
    line_sizes: dict[float, int] = {}  # font size -> characters, rounded into sizes at the end
    blocks: list[Block] = []
    block = None
    l, b, r, t, size = 0.0, 0.0, width, height, 0.0
    last_b = last_h = last_size = last_base = last_r = 0.0
    last_end = base = 0
    spans = _line_spans(text)
    if aligned and _SOFT in text:
        spans = _cut_at_jumps(spans, text, handle, rect, ref)
    for first, end in spans:
        line = text[first:end]
        footnote = False
        if aligned:
            loose_box(handle, first, ref)
            l, t, _, b = unpack(rect)
            base = b  # the first character's: its line's baseline, whatever is raised after it
            loose_box(handle, end - 1, ref)
            _, top, r, bottom = unpack(rect)
            if bottom < b:
                b = bottom
            if top > t:
                t = top
            size = font_size(handle, first)
            wide = end - first > 1 and r - l > WIDE_LINE * (end - first) * (t - b)
            while mark < len(marks) and marks[mark] <= first:
                mark += 1
            if spaced and SPACED.search(text, first, end):  # a title set with letter spacing
                line = unspace(handle, text, first, end, size, rect, ref)
            elif wide or (mark < len(marks) and marks[mark] < end):
                line = respace(handle, text, first, end, t - b, wide, marks, mark, rect, ref)
            if line[0] in _DIGITS and (m := _MARK_FIRST.match(line)) is not None and line[m.end()].isupper():
                marked = _footnote_mark(handle, line, m.end(), first, rect, ref)
                if marked is not line:  # a footnote starts a paragraph, in its text's size
                    footnote, line, size = True, marked, font_size(handle, first + m.end())
        # (a line with no mark, most lines of a page that has some, has nothing to resolve)
        if soft and (controls or _SOFT in line or "\x02" in line):
            if line[-1] == _SOFT:  # a word cut where the text jumps (_cut_at_jumps): its hyphen shows
                line = line[:-1] + "-"
            line = _COMPOUND.sub(_compound_hyphen, line)
            line = _CONTROLS.sub("", line).strip() if controls else line.replace("\ufffe", "").replace("\x02", "")
            if not line:
                continue
        if size > 0:
            line_sizes[size] = line_sizes.get(size, 0) + len(line)
        if (block is not None and aligned and abs(base - last_base) <= BASELINE_TOLERANCE * size
                and abs(last_size - size) <= SIZE_TOLERANCE and _goes_on(handle, last_end, last_r, l, size)):
            gap = " " if l - last_r > SPACE_GAP * size else ""
            block.lines[-1] = f"{block.lines[-1]}{gap}{line}"
            pl, pb, pr, pt = block.boxes[-1]
            block.boxes[-1] = (pl, min(pb, b), max(pr, r), max(pt, t))
            block.r = max(block.r, r)
            block.b, block.t = min(block.b, b), max(block.t, t)
            # the next line's gap is measured from this piece, on the base line: the lowered
            # character before it would make a paragraph's spacing look like a line's
            last_b, last_h, last_r, last_end = b, t - b, r, end
            continue
        # the line continues the block: same size, just below its last line
        if block is not None and not footnote and abs(last_size - size) <= SIZE_TOLERANCE and (
                -0.5 * (h := max(last_h, t - b, 1.0)) <= last_b - t <= LINE_GAP * h):
            block.lines.append(line)
            block.boxes.append((l, b, r, t))
            if l < block.l:
                block.l = l
            if b < block.b:
                block.b = b
            if r > block.r:
                block.r = r
            if t > block.t:
                block.t = t
            block.size_sum += size
        else:
            block = Block(line, l, b, r, t, size)
            blocks.append(block)
        last_b, last_h, last_size = b, t - b, size
        last_base, last_r, last_end = base, r, end
    for size, chars in line_sizes.items():  # in the order of their first lines, as line by line
        key = round(size, 1)
        sizes[key] = sizes.get(key, 0) + chars
    return text, _split_paragraphs(join_spaced_lines(blocks, LINE_GAP)), lgr_state


def _line_spans(text: str) -> list[tuple[int, int]]:
    """(first, end) of each line's text without its surrounding blanks (_LINE's matches). pdfium
    ends every line with CR LF: where no other CR or LF is in the text, the lines are its pieces
    between them, stripped (str.strip's blanks are the regex's), at half the regex's cost a page."""
    crs = text.count("\r")
    if crs != text.count("\n") or crs != text.count("\r\n"):
        return [m.span() for m in _LINE.finditer(text)]
    spans, at = [], 0
    for piece in text.split("\r\n"):
        if stripped := piece.strip():
            first = at + len(piece) - len(piece.lstrip())
            spans.append((first, first + len(stripped)))
        at += len(piece) + 2
    return spans


def _split_paragraphs(blocks: list[Block]) -> list[Block]:
    """Blocks cut where a paragraph or list item starts among evenly spaced lines (a bullet, an
    enumerator, a sentence ended short of the column: paragraph_starts.py)."""
    out = []
    for block in blocks:
        n = len(block.lines)
        cuts = split_at_starts(block.lines, block.boxes, block.size_sum / n, 0, 2) if n > 1 else None
        if not cuts:
            out.append(block)
            continue
        size = block.size_sum / n
        for start, end in zip([0, *cuts], [*cuts, n]):
            boxes = block.boxes[start:end]
            ls, bs, rs, ts = zip(*boxes)
            part = Block(block.lines[start], min(ls), min(bs), max(rs), max(ts), size)
            part.lines, part.boxes, part.size_sum = block.lines[start:end], boxes, size * (end - start)
            out.append(part)
    return out


def _goes_on(handle: ctypes.c_void_p, last_end: int, last_r: float, l: float, size: float) -> bool:
    """Whether a line is the rest of the line before it: pdfium ends its line where the baseline
    moves, at a subscript or superscript (`CO` `2`, `m` `2`, a footnote mark), and the text after
    it, on the first baseline, comes as a new line, which would end the paragraph there. It is
    the same line when it starts on the line before's baseline, just right of its end (within an
    em), and that line ends in a smaller character (the raised or lowered one). A column beside it
    starts further off; a table's next cell on the same baseline follows a character of the text's
    size."""
    if not -0.5 <= l - last_r <= size:  # (the caller has seen the baselines agree)
        return False
    return 0 < FONT_SIZE(handle, last_end - 1) < SCRIPT_RATIO * size



def _footnote_mark(handle: ctypes.c_void_p, line: str, digits: int, first: int, rect, ref: ctypes.c_void_p) -> str:
    """line with a space after the `digits` raised digits it starts with: a footnote's mark at
    the page's foot, set high and small before its text (`²Αυτή είναι`), reads `2Αυτή`, one word
    to a model. first: the line's first character's index; the letter after the digits is read
    against the last digit, as respace reads a mark after a word."""
    LOOSE_BOX(handle, first + digits, ref)
    bottom, top = rect.bottom, rect.top
    LOOSE_BOX(handle, first + digits - 1, ref)
    if rect.bottom - bottom <= SUPERSCRIPT_RISE * (top - bottom):
        return line  # on the letter's baseline: a figure set before a word (`3ος`, `2D`)
    return f"{line[:digits]} {line[digits:]}"


def _compound_hyphen(m: re.Match) -> str:
    """The hyphen of a compound broken at the line end (a small letter, then a capital), else the mark."""
    return "-" if m.string[m.end()].isupper() and not m.string[m.start() - 1].isupper() else m.group(0)


def _cut_at_jumps(spans: list[tuple[int, int]], text: str, handle: ctypes.c_void_p, rect, ref: ctypes.c_void_p) -> list[tuple[int, int]]:
    """pdfium's lines, cut after a soft-hyphen mark where the next character is not the same
    text's. pdfium joins a line that ends in a hyphen with whatever it reads next: the word's
    rest on the next line, or another text. Not lower case, and its loose box JUMP_RATIO times
    taller or shorter than the one before the mark (the last word of a gazette's first page runs
    into its masthead: `Θεσσαλο` + `ΕΦΗΜΕΡΙΔΑ`), or more than JUMP_LINES of its lines below it
    (the last line of a page runs into the page number at its foot: `Θεσσαλο` + `1`), it is
    another text's. A column's last word going on at the next column's top keeps its line: one
    text, one font."""
    cuts = []
    k = text.find(_SOFT, 1)
    while 0 < k < len(text) - 1:
        if text[k + 1].islower():  # the word goes on (a masthead starts with a capital): no box read
            k = text.find(_SOFT, k + 1)
            continue
        LOOSE_BOX(handle, k - 1, ref)
        before, foot = rect.top - rect.bottom, rect.bottom
        LOOSE_BOX(handle, k + 1, ref)
        after = rect.top - rect.bottom
        if min(before, after) > 0 and (max(before, after) > JUMP_RATIO * min(before, after)
                                       or foot - rect.top > JUMP_LINES * before):
            cuts.append(k + 1)
        k = text.find(_SOFT, k + 1)
    if not cuts:
        return spans
    out = []
    for first, end in spans:
        while cuts and cuts[0] <= first:
            cuts.pop(0)
        while cuts and cuts[0] < end:
            out.append((first, cuts[0]))
            first = cuts.pop(0)
        out.append((first, end))
    return out
