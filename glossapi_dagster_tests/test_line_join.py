"""Line-end dehyphenation, one rule for the safe backend's text-layer lines and for OCR'd lines
(backends/line_join.py). Cases built from the cause: a word broken at the line end is printed
with the hyphen-minus, the soft hyphen U+00AD or U+2010 HYPHEN; a compound's visible hyphen
before a capital stays."""
from glossapi_dagster.backends.line_join import join_lines
from glossapi_dagster.backends.ocr.layout import Line, paragraphs


def _ocr(first: str, second: str) -> str:
    h = 20  # two lines of one paragraph, one under the other (pixel coordinates)
    (paragraph,) = paragraphs([Line(40, 100, 400, 100 + h, first), Line(40, 124, 400, 124 + h, second)])
    return paragraph.text


def test_a_word_broken_at_the_line_end_is_whole_whatever_its_hyphen():
    for hyphen in ("-", "\u00ad", "\u2010"):
        assert _ocr(f"η διοίκηση της Περιφέ{hyphen}", "ρειας αποφασίζει") == "η διοίκηση της Περιφέρειας αποφασίζει"
        assert join_lines([f"η εξέ{hyphen}", "ταση"]) == "η εξέταση"


def test_a_compounds_visible_hyphen_stays_and_a_soft_one_does_not_join_a_capital():
    for hyphen in ("-", "\u2010"):
        assert _ocr(f"Τμήμα Έρευνας{hyphen}", "Πληροφορικής") == f"Τμήμα Έρευνας{hyphen}Πληροφορικής"
    assert join_lines(["Τμήμα Έρευνας\u00ad", "Πληροφορικής"]) == "Τμήμα Έρευνας\u00ad Πληροφορικής"
    assert join_lines(["τέλος.", "Νέα πρόταση"]) == "τέλος. Νέα πρόταση"
