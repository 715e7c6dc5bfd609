"""A paragraph that goes on over a page break reads whole (backends/page_joins.py).

The generated document (greek_pdfs.pages_pdf) holds each cause: a word hyphenated at a page's foot
(`Θεσσαλο-` / `νίκης`, with the page number below it, which pdfium reads as the word's rest), a
sentence going on without a hyphen, a page that ends a sentence, and small print at a page's foot
between a paragraph and its rest. The Docling JSON keeps every item on its page; the markdown reads
as the paper does, whole, and the same converted in one piece or a page at a time."""
from __future__ import annotations

import pytest

from glossapi_dagster.backends.page_joins import PAGE_BREAK, join_over_pages

from .greek_pdfs import PAGE_BREAK_TRUTH, pages_pdf


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    return pages_pdf(tmp_path_factory.mktemp("pages") / "pages.pdf")


def test_a_paragraph_goes_on_over_a_page_break_and_small_print_stays_apart(pages):
    from glossapi_dagster.backends.extract.safe_pdf import SafePdfExtractor

    conv = SafePdfExtractor().convert(pages)
    assert conv.markdown.strip().split("\n\n") == PAGE_BREAK_TRUTH, conv.markdown
    # the JSON: each item on its own page (OCR replaces a page's items), the page numbers furniture
    assert all(len({p["page_no"] for p in t["prov"]}) == 1 for t in conv.data["texts"])
    footers = [t["text"] for t in conv.data["texts"] if t["label"] == "page_footer"]
    assert footers == ["1", "2", "3", "4", "5"]
    # one page at a time: page 4 ends in small print, so its last paragraph does not go on
    assert [SafePdfExtractor().convert(pages, (n, n)).ends_open for n in range(1, 6)] == [True, True, True, False, True]


def test_docling_route_joins_over_page_breaks(pages):
    from glossapi_dagster.backends.extract.docling_extractor import DoclingExtractor
    from glossapi_dagster.backends.page_joins import markdown_of

    markdown = markdown_of(DoclingExtractor("native").convert(pages).document)
    # without the fonts' sizes, Docling's text alone decides; the paragraph over three pages is one
    assert markdown.split("\n\n")[:2] == PAGE_BREAK_TRUTH[:2], markdown
    assert PAGE_BREAK not in markdown


@pytest.mark.parametrize("before, after, joined", [
    ("του Φορέα Θεσσαλο-", "νίκης και Πειραιά.", "του Φορέα Θεσσαλονίκης και Πειραιά."),
    ("σύμφωνα με τις διατάξεις του", "νόμου 4512/2018.", "σύμφωνα με τις διατάξεις του νόμου 4512/2018."),
    ("της Τράπεζας Έρευνας-", "Πληροφορικής του Ιδρύματος.", None),   # a capital: not a word's rest here
    ("αρχειοθετούνται κατά αριθμό.", "οι τίτλοι πληρωμής", None),     # a sentence ended
    ("τα εξής στοιχεία,", "β) η βεβαίωση του Φορέα", None),            # a list item starts
    ("## Κεφάλαιο δεύτερο του", "νόμου", None),                       # a heading does not go on
    ("σύμφωνα με τον πίνακα", "| α | β |", None),                      # nor into a table
    ("x", "y", None),                                                 # a formula's pieces
])
def test_what_goes_on_over_a_page_break(before, after, joined):
    markdown = f"Πρώτη παράγραφος.\n\n{before}\n\n{PAGE_BREAK}\n\n{after}\n\nΤελευταία.\n"
    expected = [joined] if joined else [before, after]
    assert join_over_pages(markdown) == "\n\n".join(["Πρώτη παράγραφος.", *expected, "Τελευταία."]) + "\n"


def test_blank_pages_and_breaks_at_the_ends():
    assert join_over_pages(f"{PAGE_BREAK}\n\nτου Φορέα\n\n{PAGE_BREAK}\n\n{PAGE_BREAK}\n\nκαι του Δήμου\n\n{PAGE_BREAK}\n") \
        == "του Φορέα και του Δήμου\n"
    assert join_over_pages("χωρίς αλλαγή σελίδας\n") == "χωρίς αλλαγή σελίδας\n"


def test_a_long_document_in_ranges_reads_as_the_whole(pages, tmp_path, dagster_home):
    from glossapi_dagster.corpus import Corpus
    from glossapi_dagster.state import OutputLayout

    src = tmp_path / "in"
    src.mkdir()
    (src / "pages.pdf").write_bytes(pages.read_bytes())
    texts = {}
    for name, unit in (("whole", None), ("ranged", 1)):  # ranges of one page: every break a seam
        out = tmp_path / name
        Corpus(src, out, progress=False).extract(accel_type="cpu", devices=[0], phase1_backend="safe",
                                                 max_pages_per_unit=unit)
        texts[name] = OutputLayout(out).markdown("pages").read_text(encoding="utf-8")
    assert texts["ranged"] == texts["whole"]
    assert texts["whole"].strip().split("\n\n") == PAGE_BREAK_TRUTH
