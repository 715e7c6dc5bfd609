"""The text-layer LaTeX engine: formulas rebuilt from a born-digital PDF's glyphs (see backend.py).

glyphs (pdfium) -> classing -> rows, segments, runs -> formulas on a page -> atoms -> layout (2D
LaTeX), with symbols (what a math glyph means) and scan (what a scan holds)."""
from .backend import TextLayerMath

__all__ = ["TextLayerMath"]
