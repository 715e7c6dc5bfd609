"""phase1_backend='safe': pypdfium2's text layer, an order of magnitude faster than Docling,
still written as a DoclingDocument (pages, text items with page and box, evident headings) so
Phase 2 and every downstream tool keep the structure.

Per page: pdfium's text in its own reading order, split into lines; each line's box from its
first and last character, its size from the first character's font. Lines of one size and
close together become a paragraph, with hyphenation at line ends repaired; clearly larger,
short lines become headings.

Speed is the point of this backend, so the Docling JSON is built as the dict docling-core would
export (its empty document is the template), not through docling-core's validated models, which
cost more than pdfium's own parsing; tests load every such dict with docling-core.
"""
from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from .base import Conversion, ConversionFailed, failure_reason
from .docling_template import empty_document
from .furniture import BAND, MIN_DECORATION, find_decorations, find_furniture, line_key
from ..greek import lgr
from ..greek.lookalikes import greek_page
from ..greek.repair import needs_repair, repair_greek
from ..greek.lgr import GONE
from ..greek.pdfium_lgr import DECODED, UNDECODED, char_text, decode_page, has_hint
from .pdf_images import EMPTY_PAGE_CHARS, image_boxes, image_cover
from .pdfium_text import (
    CLOSE_DOCUMENT, CLOSE_PAGE, CLOSE_TEXT, COUNT_CHARS, FONT_SIZE, LETTER_DIGIT, LOAD_PAGE, LOAD_TEXT, LOOSE_BOX,
    PAGE_HEIGHT, PAGE_WIDTH, WIDE_LINE, address, open_document, page_chars, page_text, respace, typed,
)
from .symbol_glyphs import drop_symbol_glyphs
from .text_fixes import clean_text, may_need_repair

# A line's text without its surrounding blanks (pdfium ends lines with \r\n); blank lines never match.
_LINE = re.compile(r"[^\S\r\n]*(\S(?:[^\r\n]*\S)?)")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe]")  # what FPDFText_GetText leaves out, and U+FFFE
_HYPHENS = ("-", "\u00ad", "\u2010")
_SOFT = "\ufffe"    # pdfium's mark of a soft hyphen that broke a word across lines (U+0002 too, where
# it may also be an unmapped glyph: left alone)
# pdfium marks every hyphen that ends a line, a compound's too; after a small letter and before a
# capital (`Έρευνας-` / `Πληροφορικής`, `Lennard-` / `Jones`) the hyphen belongs to the word: a
# hyphenation goes on in lower case, or in capitals after capitals (`ΟΙΚΟΝΟΜΙ-` / `ΚΗΣ`)
_COMPOUND = re.compile("(?<=[^\\W\\d_])[\ufffe\x02](?=[^\\W\\d_])")
# a soft hyphen's next character this much taller or shorter (loose boxes: font ascent to descent)
# is another text's: a body line's 9 pt against the gazette's masthead's 42 pt; bold and regular
# faces of one size, 1.0-1.15
JUMP_RATIO = 1.6
HEADING_RATIO = 1.2       # a line this much larger than the body text is a heading
SIZE_TOLERANCE = 0.6      # points: lines of one block have this font size
LINE_GAP = 0.65           # a gap between two lines' boxes over this share of a line's height ends a block
MAX_HEADING_CHARS = 150
# Looking for a page's images costs two C calls an object (text objects too: ~5% of the backend's
# time); a page whose text blocks cover more of it than this is not looked into. Measured over the
# corpus: its 23 pages with pictures have 0.47 of them covered at most; the pages over 0.6 hold
# 37% of its objects (the gazettes' dense pages).
DENSE_TEXT = 0.6


class Block:
    """Consecutive lines of one size, vertically close: a paragraph (or a heading)."""

    __slots__ = ("lines", "l", "b", "r", "t", "size_sum", "kind", "text")

    def __init__(self, line: str, l: float, b: float, r: float, t: float, size: float):
        self.lines, self.l, self.b, self.r, self.t = [line], l, b, r, t
        self.size_sum, self.kind, self.text = size, "text", ""


class SafePdfExtractor:
    def __init__(self, max_pages: int | None = None, page_time_budget: float = 20.0,
                 log: logging.Logger | None = None):
        self.max_pages = max_pages
        self.page_time_budget = page_time_budget
        self.log = log or logging.getLogger(__name__)
        self.template = empty_document()
        self._rect = pdfium_c.FS_RECTF()
        self._rect_ref = address(self._rect)  # for plain calls

    def convert(self, path: str | Path, page_range: tuple[int, int] | None = None) -> Conversion:
        """The whole PDF, or its pages first..last (1-based, inclusive; they keep their numbers)."""
        started = time.perf_counter()
        try:
            pdf, count = open_document(os.fspath(path))
        except (pdfium.PdfiumError, OSError) as exc:
            raise ConversionFailed(failure_reason(path, str(exc))) from exc
        try:
            if count == 0:
                raise ConversionFailed("empty: the PDF has no pages")
            if self.max_pages is not None and count > self.max_pages:
                raise ConversionFailed(f"page budget: {count} pages > {self.max_pages}")
            pages, sizes, covers, pictures = [], {}, {}, {}
            repairs: dict[str, list[int]] = {DECODED: [], UNDECODED: []}
            first, last = page_range or (1, count)
            for index in range(first - 1, min(last, count)):
                page_started = time.perf_counter()
                pages.append(self._read_page(pdf, index, count, sizes, covers, pictures, repairs))
                spent = time.perf_counter() - page_started
                if spent > self.page_time_budget:
                    raise ConversionFailed(f"time budget: page {index + 1} took {spent:.1f}s > {self.page_time_budget:g}s")
        finally:
            CLOSE_DOCUMENT(pdf)
        parsed = time.perf_counter()
        _mark_headings(pages, sizes)
        if _mark_decorations(pages):  # first: a page number beside the coat of arms is alone on its row
            repairs["decorations"] = _pages_with(pages, first, ("decoration",))
        if _mark_furniture(pages):
            repairs["furniture"] = _pages_with(pages, first, ("page_header", "page_footer"))
        data, markdown = _build(self.template, Path(path).stem, pages, pictures, first)
        done = time.perf_counter()
        return Conversion(None, len(pages), done - started, "safe", {"parse": parsed - started, "assemble": done - parsed},
                          markdown=markdown, data=data, page_covers=covers,
                          repairs={k: v for k, v in repairs.items() if v})

    def _read_page(self, pdf, index: int, count: int, sizes: dict, covers: dict, pictures: dict,
                   repairs: dict) -> tuple[float, float, list[Block]]:
        """The page's blocks; sizes (font size -> characters) is summed over the document, and
        covers gets the image cover of a near-empty page (a scan?) while it is open, pictures
        (page number -> boxes) the images of any other page, as Docling's pictures.

        pdfium's C API directly, on plain addresses (pdfium_text): pypdfium2's page and text-page
        objects (finalizers, parent bookkeeping, text-range checks) cost ~0.3 ms a page, a tenth
        of pdfium's own parsing, and each call through its bindings converts the handles."""
        page = LOAD_PAGE(pdf, index)
        if not page:
            raise ConversionFailed(f"corrupt: page {index + 1} of {count} cannot be loaded")
        try:
            width, height = PAGE_WIDTH(page), PAGE_HEIGHT(page)
            textpage = LOAD_TEXT(page)
            if not textpage:
                raise ConversionFailed(f"corrupt: the text of page {index + 1} of {count} cannot be read")
            try:
                text, blocks, lgr_state = self._blocks(textpage, width, height, sizes)
            finally:
                CLOSE_TEXT(textpage)
            if _near_empty(text, blocks):
                covers[index + 1] = image_cover(typed(page, pdfium_c.FPDF_PAGE))
            elif _text_cover(blocks, width, height) <= DENSE_TEXT and (
                    boxes := image_boxes(typed(page, pdfium_c.FPDF_PAGE), width, height)):
                pictures[index + 1] = boxes
        finally:
            CLOSE_PAGE(page)
        suspect = may_need_repair(text)  # once a page: most pages have nothing for ftfy
        greek = greek_page(text) if needs_repair(text) else None  # None: no Greek repair to look for
        changed: set[str] = set()
        for block in blocks:
            block.text = _join(block.lines, suspect)
            if lgr_state == DECODED:
                block.text = lgr.finish(block.text)
            if greek is not None:  # the same repairs as OCR text's (backends/greek/repair.py)
                block.text, done = repair_greek(block.text, greek)
                changed.update(done)
        if lgr_state:
            repairs[lgr_state].append(index + 1)
        for name in changed:
            repairs.setdefault(name, []).append(index + 1)
        return width, height, blocks

    def _blocks(self, textpage: int, width: float, height: float, sizes: dict) -> tuple[str, list[Block], str | None]:
        """The page's text, and its lines grouped into blocks. A line's box is the union of its
        first and last characters' loose boxes (pdfium's: font ascent to descent, so every line of
        one font is as tall), its size the first character's font size. textpage: its address."""
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
        mark = 0  # the first mark not before the current line (lines come in text order)
        rect, ref = self._rect, self._rect_ref
        loose_box, font_size, handle = LOOSE_BOX, FONT_SIZE, textpage
        blocks: list[Block] = []
        block = None
        l, b, r, t, size = 0.0, 0.0, width, height, 0.0
        last_b = last_h = last_size = 0.0
        spans = [m.span(1) for m in _LINE.finditer(text)]
        if aligned and _SOFT in text:
            spans = _cut_at_jumps(spans, text, handle, rect, ref)
        for first, end in spans:
            line = text[first:end]
            if aligned:
                loose_box(handle, first, ref)
                l, b, t = rect.left, rect.bottom, rect.top
                loose_box(handle, end - 1, ref)
                r = rect.right
                if rect.bottom < b:
                    b = rect.bottom
                if rect.top > t:
                    t = rect.top
                size = font_size(handle, first)
                wide = end - first > 1 and r - l > WIDE_LINE * (end - first) * (t - b)
                while mark < len(marks) and marks[mark] <= first:
                    mark += 1
                if wide or (mark < len(marks) and marks[mark] < end):
                    line = respace(handle, text, first, end, t - b, wide, marks, mark, rect, ref)
            if soft:
                if line[-1] == _SOFT:  # a word cut where the text jumps (_cut_at_jumps): its hyphen shows
                    line = line[:-1] + "-"
                line = _COMPOUND.sub(_compound_hyphen, line) if _SOFT in line or "\x02" in line else line
                line = _CONTROLS.sub("", line).strip() if controls else line.replace("\ufffe", "").replace("\x02", "")
                if not line:
                    continue
            if size > 0:
                key = round(size, 1)
                sizes[key] = sizes.get(key, 0) + len(line)
            # the line continues the block: same size, just below its last line
            if block is not None and abs(last_size - size) <= SIZE_TOLERANCE and (
                    -0.5 * (h := max(last_h, t - b, 1.0)) <= last_b - t <= LINE_GAP * h):
                block.lines.append(line)
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
        return text, _top_first(blocks), lgr_state


def _compound_hyphen(m: re.Match) -> str:
    """The hyphen of a compound broken at the line end (a small letter, then a capital), else the mark."""
    return "-" if m.string[m.end()].isupper() and not m.string[m.start() - 1].isupper() else m.group(0)


def _cut_at_jumps(spans: list[tuple[int, int]], text: str, handle: int, rect, ref: int) -> list[tuple[int, int]]:
    """pdfium's lines, cut after a soft-hyphen mark where the next character is not the same
    text's: not lower case, and its loose box JUMP_RATIO times taller or shorter than the one
    before the mark (the last word of a gazette's first page runs into its masthead: `Θεσσαλο` +
    `ΕΦΗΜΕΡΙΔΑ`). A column's last word going on at the next column's top keeps its line: one
    text, one font."""
    cuts = []
    k = text.find(_SOFT, 1)
    while 0 < k < len(text) - 1:
        if text[k + 1].islower():  # the word goes on (a masthead starts with a capital): no box read
            k = text.find(_SOFT, k + 1)
            continue
        LOOSE_BOX(handle, k - 1, ref)
        before = rect.top - rect.bottom
        LOOSE_BOX(handle, k + 1, ref)
        after = rect.top - rect.bottom
        if min(before, after) > 0 and max(before, after) > JUMP_RATIO * min(before, after):
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


def _top_first(blocks: list[Block]) -> list[Block]:
    """The page's blocks with a run that pdfium read last but that lies wholly above all the
    blocks before it (a gazette's masthead, drawn after the first page's text) moved first, in
    pdfium's order. The longest such run: its lowest bottom at or above the others' highest top."""
    if len(blocks) < 2 or blocks[-1].b < blocks[0].t:  # the last block, in every such run, is above the first
        return blocks
    highest = [blocks[0].t]  # highest[k]: the highest top of blocks[:k + 1]
    for block in blocks[1:]:
        highest.append(max(highest[-1], block.t))
    lowest = blocks[-1].b
    cut = 0
    for k in range(len(blocks) - 1, 0, -1):  # blocks[k:] after blocks[:k]
        lowest = min(lowest, blocks[k].b)
        if lowest >= highest[k - 1]:
            cut = k
    return blocks[cut:] + blocks[:cut] if cut else blocks


def _text_cover(blocks: list[Block], width: float, height: float) -> float:
    """The share of the page its text blocks' boxes cover (their overlaps counted twice)."""
    return sum((blk.r - blk.l) * (blk.t - blk.b) for blk in blocks) / max(width * height, 1.0)


def _near_empty(text: str, blocks: list[Block]) -> bool:
    """Fewer than EMPTY_PAGE_CHARS non-blank characters; the raw count bounds it, cheaply."""
    upper = len(text) - text.count(" ") - text.count("\r") - text.count("\n")
    if upper >= 2 * EMPTY_PAGE_CHARS:
        return False
    return sum(len(w) for blk in blocks for ln in blk.lines for w in ln.split()) < EMPTY_PAGE_CHARS


def _join(lines: list[str], suspect: bool = True) -> str:
    out = lines[0]
    for nxt in lines[1:]:
        if out.endswith(_HYPHENS) and len(out) > 1 and out[-2].isalpha() and nxt[:1].islower():
            out = out[:-1] + nxt                   # "exam-" + "ple" -> "example"
        elif out.endswith("-") and len(out) > 1 and out[-2].islower() and nxt[:1].isupper():
            out += nxt                             # a compound: "Έρευνας-" + "Πληροφορικής"
        else:
            out = f"{out} {nxt}"
    return clean_text(out, suspect)


def _mark_headings(pages: list[tuple[float, float, list[Block]]], sizes: dict) -> None:
    """Headings where the font size makes them evident: short blocks well above the body size."""
    if not sizes:
        return
    threshold = max(sizes, key=sizes.get) * HEADING_RATIO
    for _, _, blocks in pages:
        for block in blocks:
            n = len(block.lines)
            if n <= 3 and len(block.text) <= MAX_HEADING_CHARS and block.size_sum / n >= threshold:
                block.kind = "heading"


def _pages_with(pages: list[tuple[float, float, list[Block]]], first: int, kinds: tuple[str, ...]) -> list[int]:
    return [p for p, (_, _, blocks) in enumerate(pages, first) if any(b.kind in kinds for b in blocks)]


def _mark_decorations(pages: list[tuple[float, float, list[Block]]]) -> int:
    """Lone glyphs of a decoration (furniture.find_decorations) among the body's blocks: kept in
    the JSON's background layer, out of the markdown."""
    tall = {page_no for page_no, (_, _, page) in enumerate(pages, 1) for block in page
            if len(block.text) == 1 and block.t - block.b >= MIN_DECORATION}
    if not tall:
        return 0
    blocks = [(page_no, block) for page_no in sorted(tall) for block in pages[page_no - 1][2]
              if block.kind in ("text", "heading") and block.text]
    found = find_decorations([(p, b.l, b.b, b.r, b.t, b.text, len(b.lines)) for p, b in blocks])
    for index in found:
        blocks[index][1].kind = "decoration"
    return len(found)


def _mark_furniture(pages: list[tuple[float, float, list[Block]]]) -> int:
    """Blocks that repeat at one place on most pages become page_header / page_footer; a header
    that pdfium read as one block with the body text below it is split off."""
    blocks = [(page_no, height, block) for page_no, (_, height, page) in enumerate(pages, 1) for block in page]
    found, keys = find_furniture([(p, h, b.b, b.t, "" if b.kind == "decoration" else b.text)
                                  for p, h, b in blocks], len(pages), [len(b.lines) for _, _, b in blocks])
    for index, label in found.items():
        blocks[index][2].kind = label
    if ("page_header", "") in keys or not any(label == "page_header" for label, _ in keys):
        return len(found)
    headers = {key for label, key in keys if label == "page_header"}
    longest = max(len(key.split()) for key in headers)
    for _, height, page in pages:
        for position, block in enumerate(page):
            if block.kind != "text" or (height - block.t) / height > BAND:
                continue
            words = block.text.split()
            n = next((n for n in range(1, min(longest, len(words) - 1) + 1)
                      if line_key(" ".join(words[:n])) in headers), 0)
            if n:
                size = block.size_sum / len(block.lines)
                header = Block(" ".join(words[:n]), block.l, block.t - size, block.r, block.t, size)
                header.text, header.kind = header.lines[0], "page_header"
                block.text, block.t = " ".join(words[n:]), block.t - size
                page.insert(position, header)
                found[len(found)] = "page_header"
                break
    return len(found)


def _build(template: dict, name: str, pages: list[tuple[float, float, list[Block]]],
           pictures: dict | None = None, first: int = 1) -> tuple[dict, str]:
    """The Docling JSON (as DoclingDocument.export_to_dict() gives it) and its markdown; pages
    numbered from `first` (a page range keeps the PDF's numbers); a picture comes before the
    first body block that starts below its top."""
    texts: list[dict] = []
    figures: list[dict] = []
    children: list[dict] = []
    page_sizes: dict[str, dict] = {}
    parts: list[str] = []
    body_ref, furniture_ref = {"$ref": "#/body"}, {"$ref": "#/furniture"}
    furniture: list[dict] = []
    for page_no, (width, height, blocks) in enumerate(pages, start=first):
        page_sizes[str(page_no)] = {"size": {"width": float(width), "height": float(height)}, "page_no": page_no}
        waiting = sorted((pictures or {}).get(page_no, ()), key=lambda box: -box[3])
        for block in blocks:
            while waiting and block.kind in ("text", "heading") and block.t <= waiting[0][3]:
                _picture(figures, children, parts, page_no, waiting.pop(0))
            text = block.text
            if not text:
                continue
            # on the page, as docling-core clamps a box when it loads one
            l, r = min(max(block.l, 0.0), width), min(max(block.r, 0.0), width)
            b, t = min(max(block.b, 0.0), height), min(max(block.t, 0.0), height)
            ref = f"#/texts/{len(texts)}"
            item = {"self_ref": ref, "parent": body_ref, "children": [], "content_layer": "body",
                    "label": "text",
                    "prov": [{"page_no": page_no,
                              "bbox": {"l": l, "t": t, "r": r, "b": b, "coord_origin": "BOTTOMLEFT"},
                              "charspan": [0, len(text)]}],
                    "orig": text, "text": text}
            texts.append(item)
            if block.kind.startswith("page_"):  # page_header / page_footer: furniture, not the body
                item.update(label=block.kind, content_layer="furniture", parent=furniture_ref)
                furniture.append({"$ref": ref})
                continue
            if block.kind == "decoration":  # a glyph of an emblem or ornament: the page's background
                item.update(content_layer="background", parent=furniture_ref)
                furniture.append({"$ref": ref})
                continue
            if block.kind == "heading":
                item["label"] = "section_header"
                item["level"] = 1
                parts.append(f"## {text}")
            else:
                parts.append(text)
            children.append({"$ref": ref})
        for box in waiting:  # below every block of the page
            _picture(figures, children, parts, page_no, box)
    data = {**template, "name": name, "body": {**template["body"], "children": children}, "texts": texts,
            "pages": page_sizes}
    if figures:
        data["pictures"] = figures
    if furniture:
        data["furniture"] = {**template["furniture"], "children": furniture}
    return data, "\n\n".join(parts) + ("\n" if parts else "")


def _picture(figures: list[dict], children: list[dict], parts: list[str], page_no: int, box) -> None:
    """A picture item (as docling-core exports one: no image data, no caption) and its markdown."""
    l, b, r, t = box
    ref = f"#/pictures/{len(figures)}"
    figures.append({"self_ref": ref, "parent": {"$ref": "#/body"}, "children": [], "content_layer": "body",
                    "label": "picture",
                    "prov": [{"page_no": page_no,
                              "bbox": {"l": l, "t": t, "r": r, "b": b, "coord_origin": "BOTTOMLEFT"},
                              "charspan": [0, 0]}],
                    "captions": [], "references": [], "footnotes": [], "annotations": []})
    children.append({"$ref": ref})
    parts.append("<!-- image -->")
