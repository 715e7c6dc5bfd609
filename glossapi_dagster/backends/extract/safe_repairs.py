"""The safe backend's text repairs, block by block on one page: the lines joined (words broken at
the line end made whole), Unicode hygiene, the LGR (cbgreek) decoding finished, and the same Greek
repairs as OCR text's (backends/greek/repair.py: Latin look-alikes, capitals, ...)."""
from __future__ import annotations

from ..greek import lgr
from ..greek.lookalikes import greek_page
from ..greek.pdfium_lgr import DECODED
from ..greek.repair import needs_repair, repair_greek
from ..line_join import join_lines
from .safe_lines import Block
from .text_fixes import clean_text, may_need_repair


def repair_blocks(blocks: list[Block], text: str, lgr_state: str | None) -> set[str]:
    """Each block's text from its lines, repaired; the names of the Greek repairs made. text: the
    page's whole text, looked at once (most pages have nothing for ftfy or the Greek repairs)."""
    suspect = may_need_repair(text)
    greek = greek_page(text) if needs_repair(text) else None  # None: no Greek repair to look for
    changed: set[str] = set()
    for block in blocks:
        block.text = clean_text(join_lines(block.lines), suspect)
        if lgr_state == DECODED:
            block.text = lgr.finish(block.text)
        if greek is not None:
            block.text, done = repair_greek(block.text, greek)
            changed.update(done)
    return changed
