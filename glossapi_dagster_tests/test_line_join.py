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
        assert "\u00ad" not in markdown, markdown
        assert "σ. 45-47" in markdown and "xy-επίπεδο" in markdown and "2019-2020" in markdown, markdown
        assert "την επιστημονική τεκμηρίωση" in markdown, markdown


def test_docling_native_pipelines_lines_are_joined_into_paragraphs(tmp_path):
    """Docling's native pipeline gives one item a line. Two columns of two paragraphs each under a
    heading in a larger size: each paragraph is one item, its broken words whole; the heading, the
    paragraphs and the columns stay apart."""
    from pathlib import Path

    from glossapi_dagster.backends.extract.docling_extractor import DoclingExtractor

    from .greek_pdfs import _Writer

    columns = [[["Η έννοια της δημοκρατίας στην αρχαία", "Αθήνα έχει μελετηθεί από πολ-", "λούς ιστορικούς."],
                ["Η δεύτερη παράγραφος αρχίζει εδώ", "και τελειώνει εδώ."]],
               [["Στη δεύτερη στήλη συνεχίζεται η ανά-", "λυση των θεσμών της πόλης."],
                ["Η τελευταία παράγραφος της σελίδας", "είναι σύντομη."]]]
    writer = _Writer()
    writer.new_page()
    writer.text("1. Εισαγωγή", 60, 770, 14)
    for x, column in zip((60, 310), columns):
        y = 740
        for lines in column:
            for line in lines:
                writer.text(line, x, y, 9.5)
                y -= 13
            y -= 10  # the space between paragraphs
    pdf = writer.save(Path(tmp_path / "columns.pdf"))
    texts = [item.text for item in DoclingExtractor("native").convert(pdf).document.texts]
    assert texts == ["1. Εισαγωγή",
                     "Η έννοια της δημοκρατίας στην αρχαία Αθήνα έχει μελετηθεί από πολλούς ιστορικούς.",
                     "Η δεύτερη παράγραφος αρχίζει εδώ και τελειώνει εδώ.",
                     "Στη δεύτερη στήλη συνεχίζεται η ανάλυση των θεσμών της πόλης.",
                     "Η τελευταία παράγραφος της σελίδας είναι σύντομη."], texts


def test_a_line_goes_on_after_a_subscript_or_superscript(tmp_path):
    """pdfium ends its text line where the baseline moves, at a subscript or a superscript (CO₂,
    m², a footnote mark), and the rest of the line, back on its baseline, comes as a new line: the
    paragraph was cut there (`CO2` / `και NOx` / `αυξάνεται`). Generated runs on shifted baselines:
    one paragraph, read in order; the footnote below it stays a paragraph of its own."""
    from glossapi_dagster.backends.extract.safe_pdf import SafePdfExtractor

    from .greek_pdfs import SCRIPT_FOOTNOTE, SCRIPT_TRUTH, scripts_pdf

    markdown = SafePdfExtractor().convert(scripts_pdf(tmp_path / "scripts.pdf")).markdown
    paragraphs = markdown.strip().split("\n\n")
    assert len(paragraphs) == 2 and paragraphs[1] == SCRIPT_FOOTNOTE, markdown
    for words in SCRIPT_TRUTH:
        assert words in paragraphs[0], paragraphs[0]
