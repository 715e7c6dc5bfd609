"""The safe backend's text, block by block on one page: the lines joined (words broken at the line
end made whole), then the one text stage (backends/text_stage.py: the Unicode clean, the LGR
(cbgreek) decoding finished, the Greek repairs the Docling backend and OCR make too)."""
from __future__ import annotations

from ..greek.pdfium_lgr import DECODED
from ..line_join import join_lines
from ..text_stage import normalise_page
from .safe_lines import Block


def repair_blocks(blocks: list[Block], lgr_state: str | None) -> list[str]:
    """Each block's text from its lines, through the text stage; the names of the Greek repairs made."""
    texts, changed = normalise_page([join_lines(block.lines) for block in blocks], lgr_state == DECODED)
    for block, text in zip(blocks, texts):
        block.text = text
    return changed
