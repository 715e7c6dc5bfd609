"""Where paragraphs and list items start among evenly spaced lines (backends/paragraph_starts.py).

A word processor without paragraph spacing sets a list's items, the paragraph after a list and a
title in lines as evenly spaced as a paragraph's: joining lines by their spacing ran them into one
(`• Right: 2.5 cm. Σε όλη τη διπλωματική ...`). The generated page (greek_pdfs.lists_pdf) holds
each cause and each look-alike that must stay joined: a wrapped line that starts with a number
after a word, a dash after a comma, a hanging indent, a centred title whose first line ends in
an abbreviation's full stop."""
from __future__ import annotations

import pytest

from glossapi_dagster.backends.extract.docling_extractor import DoclingExtractor
from glossapi_dagster.backends.extract.safe_pdf import SafePdfExtractor
from glossapi_dagster.backends.ocr.layout import Line, paragraphs
from glossapi_dagster.backends.paragraph_starts import split_at_starts

from .greek_pdfs import LISTS_PAGE, LISTS_TITLE, lists_pdf


@pytest.fixture(scope="module")
def lists(tmp_path_factory):
    return lists_pdf(tmp_path_factory.mktemp("lists") / "lists.pdf")


@pytest.mark.parametrize("backend", ["safe", "docling"])
def test_items_and_paragraphs_set_without_spacing_start_where_a_reader_sees_them(lists, backend):
    if backend == "safe":
        markdown = SafePdfExtractor().convert(lists).markdown
    else:
        markdown = DoclingExtractor("native").convert(lists).document.export_to_markdown()
    got = [" ".join(p.split()).replace("- όπως", "– όπως").replace("απόφαση -", "απόφαση –")
           for p in markdown.strip().split("\n\n")]  # Docling's parser writes the en dash as '-'
    want = [" ".join(LISTS_TITLE), *(" ".join(text.split()) for _, text in LISTS_PAGE)]
    assert got == want, markdown


def _ocr_lines(rows: list[tuple[int, str]]) -> list[Line]:
    """OCR'd lines in pixels: 8 px a character, 30 px a row, the column 640 px wide."""
    return [Line(100 + x, 100 + 30 * i, 100 + x + 8 * len(text), 124 + 30 * i, text) for i, (x, text) in enumerate(rows)]


def test_ocr_rows_start_items_and_paragraphs_as_the_text_layer_does():
    rows = [(0, "Επιπλέον, οι υποψήφιοι οφείλουν να προσκομίσουν τα εξής έγγραφα"),
            (0, "πριν από τη λήξη της προθεσμίας:"),
            (0, "• αίτηση συμμετοχής,"),
            (0, "• βιογραφικό σημείωμα."),
            (0, "Τα δικαιολογητικά υποβάλλονται στη γραμματεία του Τμήματος,"),
            (0, "– όπως ορίζει η απόφαση – με απόδειξη παραλαβής του άρθρου"),
            (0, "12. Η προθεσμία είναι αποκλειστική.")]
    got = [p.text for p in paragraphs(_ocr_lines(rows))]
    assert got == ["Επιπλέον, οι υποψήφιοι οφείλουν να προσκομίσουν τα εξής έγγραφα πριν από τη λήξη της προθεσμίας:",
                   "• αίτηση συμμετοχής,", "• βιογραφικό σημείωμα.",
                   "Τα δικαιολογητικά υποβάλλονται στη γραμματεία του Τμήματος, – όπως ορίζει η απόφαση – "
                   "με απόδειξη παραλαβής του άρθρου 12. Η προθεσμία είναι αποκλειστική."]


def test_a_first_line_indent_starts_a_paragraph_and_a_full_line_goes_on():
    """Justified text: a sentence that ends at a full line's end goes on in the next line unless
    that line is indented (LaTeX's paragraphs: an indent, no spacing)."""
    lines = ["Η πρώτη παράγραφος τελειώνει μια πρόταση στο τέλος μιας γεμάτης γραμμής.",
             "Η επόμενη πρόταση της ίδιας παραγράφου συνεχίζει και τελειώνει εδώ ολόκληρη.",
             "Η δεύτερη παράγραφος αρχίζει με εσοχή στην πρώτη της γραμμή, όπως στο LaTeX,",
             "και συνεχίζει στην επόμενη χωρίς εσοχή."]
    assert split_at_starts(lines, [(60, 500), (60, 500), (60, 500), (60, 320)], 10) == []
    assert split_at_starts(lines, [(60, 500), (60, 500), (75, 500), (60, 320)], 10) == [2]
    centred = [(150, 410), (200, 360)]  # a title over two lines, centred: never cut by its edges
    assert split_at_starts(["ΚΑΝΟΝΙΣΜΟΣ ΤΟΥ Ν.Π.Δ.Δ.", "«ΕΛΛΗΝΙΚΟ ΚΤΗΜΑΤΟΛΟΓΙΟ»"], centred, 10) == []
