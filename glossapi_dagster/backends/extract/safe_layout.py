"""The safe backend's page layout, over the blocks of every page: reading order (a run pdfium read
last but that lies above the page's text), headings by font size, and the labels that keep a
page's furniture (running headers and footers, an emblem's lone glyphs) out of the body.
"""
from __future__ import annotations

from .furniture import BAND, MIN_DECORATION, find_decorations, find_furniture, line_key
from .safe_lines import Block

HEADING_RATIO = 1.2       # a line this much larger than the body text is a heading
MAX_HEADING_CHARS = 150

Pages = list[tuple[float, float, list[Block]]]  # (width, height, blocks) a page


def top_first(blocks: list[Block]) -> list[Block]:
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


DROP_CAP_RATIO = 2.0      # a drop cap is set at least this many times its paragraph's size


def join_drop_caps(blocks: list[Block]) -> list[Block]:
    """A paragraph's first letter set large beside its first lines (a drop cap, `Ε` + `ίναι
    γνωστό`) as the paragraph's first letter: alone it is a heading of one letter and the word it
    begins is broken. The letter joins the word it stands before when the Greek lexicon knows the
    two as one word (`Είναι`), and stands as a word of its own otherwise (`Η` + `έρευνα`)."""
    out: list[Block] = []
    k = 0
    while k < len(blocks):
        cap = blocks[k]
        if k + 1 < len(blocks) and len(cap.lines) == 1 and len(cap.lines[0]) == 1 and cap.lines[0].isupper():
            text = blocks[k + 1]
            size = text.size_sum / len(text.lines)
            # its first line beside the letter, level with its top (the lines below may go back under it)
            if (cap.size_sum >= DROP_CAP_RATIO * size and cap.b < text.t <= cap.t + size
                    and -size <= text.boxes[0][0] - cap.r <= 2 * size):
                text.lines[0] = _drop_cap_word(cap.lines[0], text.lines[0])
                text.l, text.t = cap.l, max(text.t, cap.t)
                out.append(text)
                k += 2
                continue
        out.append(cap)
        k += 1
    return out


def _drop_cap_word(letter: str, line: str) -> str:
    from ..greek.lexicon import is_word

    first = line.split(" ", 1)[0]
    joined = first[:1].islower() and is_word((letter + first).rstrip(".,;:·!»)"))
    return letter + line if joined else f"{letter} {line}"


def mark_headings(pages: Pages, sizes: dict) -> None:
    """Headings where the font size makes them evident: short blocks well above the body size."""
    if not sizes:
        return
    threshold = max(sizes, key=sizes.get) * HEADING_RATIO
    for _, _, blocks in pages:
        for block in blocks:
            n = len(block.lines)
            if n <= 3 and len(block.text) <= MAX_HEADING_CHARS and block.size_sum / n >= threshold:
                block.kind = "heading"


def pages_with(pages: Pages, first: int, kinds: tuple[str, ...]) -> list[int]:
    return [p for p, (_, _, blocks) in enumerate(pages, first) if any(b.kind in kinds for b in blocks)]


def mark_decorations(pages: Pages) -> int:
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


def mark_furniture(pages: Pages) -> int:
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
    # every prefix holds the block's first word, so its key's word must be a word of a header's
    # key: a block whose first word is in none is passed over without trying each prefix
    header_words = {word for key in headers for word in key.split()}
    for _, height, page in pages:
        for position, block in enumerate(page):
            if block.kind != "text" or (height - block.t) / height > BAND:
                continue
            words = block.text.split()
            if len(words) < 2 or line_key(words[0]) not in header_words:
                continue
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
