"""The text-layer LaTeX engine: formulas rebuilt from a born-digital PDF's glyphs."""
