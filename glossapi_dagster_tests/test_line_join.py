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


def test_a_soft_hyphen_drawn_inside_a_line_reads_as_a_hyphen(tmp_path):
    """A font whose one hyphen glyph serves U+002D and U+00AD puts U+00AD in the text layer for the
    hyphens it draws: generated here by writing U+00AD itself (pdfium maps the drawn glyph back to
    it). Inside a line it is the hyphen a reader sees; at the line end it is a word's break."""
    from pathlib import Path

    import pypdfium2 as pdfium

    from glossapi_dagster.backends.extract.docling_extractor import DoclingExtractor
    from glossapi_dagster.backends.extract.safe_pdf import SafePdfExtractor
    from glossapi_dagster.phases.finish import normalised_markdown

    from .greek_pdfs import _Writer

    writer = _Writer()
    writer.new_page()
    writer.text("Βλ. σ. 45\u00ad47 για το xy\u00adεπίπεδο και την επι\u00ad", 60, 700, 10)
    writer.text("στημονική τεκμηρίωση του 2019\u00ad2020.", 60, 686, 10)
    pdf = writer.save(Path(tmp_path / "soft.pdf"))
    layer = pdfium.PdfDocument(str(pdf))[0].get_textpage().get_text_range()
    assert "45\u00ad47" in layer and "xy\u00adεπίπεδο" in layer  # the cause is in the text layer
    for extractor in (SafePdfExtractor(), DoclingExtractor("native")):
        conversion = extractor.convert(pdf)  # Docling's text is cleaned where every document is finished
        markdown = conversion.markdown or normalised_markdown(conversion.document)
        assert "σ. 45-47" in markdown and "xy-επίπεδο" in markdown and "2019-2020" in markdown, markdown
    # the safe backend's lines make one paragraph: the word broken at the line end is whole
    # (Docling's native pipeline, with no layout model, keeps each line an item of its own)
    markdown = SafePdfExtractor().convert(pdf).markdown
    assert "\u00ad" not in markdown and "την επιστημονική τεκμηρίωση" in markdown, markdown
