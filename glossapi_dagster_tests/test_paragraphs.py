"""Where paragraphs and list items start among evenly spaced lines (backends/paragraph_starts.py).

A word processor without paragraph spacing sets a list's items, the paragraph after a list and a
title in lines as evenly spaced as a paragraph's: joining lines by their spacing ran them into one
(`• Right: 2.5 cm. Σε όλη τη διπλωματική ...`). The generated page (greek_pdfs.lists_pdf) holds
each cause and each look-alike that must stay joined: a wrapped line that starts with a number
after a word, a dash after a comma, a hanging indent, a centred title whose first line ends in
an abbreviation's full stop. And the other way: a paragraph that goes on from a column's foot to
the next column's top (greek_pdfs.columns_pdf) is one."""
from __future__ import annotations

import pytest

from glossapi_dagster.backends.extract.docling_extractor import DoclingExtractor
from glossapi_dagster.backends.extract.safe_pdf import SafePdfExtractor
from glossapi_dagster.backends.ocr.layout import Line, paragraphs
from glossapi_dagster.backends.paragraph_starts import goes_on, split_at_starts

from .greek_pdfs import (COLUMN_APART, COLUMN_TRUTH, DROP_CAPS, LISTS_PAGE, LISTS_TITLE, columns_pdf, drop_caps_pdf,
                         lists_pdf)


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


@pytest.mark.parametrize("backend", ["safe", "docling"])
def test_a_paragraph_goes_on_across_columns(tmp_path, backend):
    """A paragraph stopped mid-sentence at a column's foot goes on at the next column's top: one
    item, with a box in each column. A column ended by a sentence, before one that starts a
    sentence, stays two paragraphs."""
    from docling_core.types.doc import DoclingDocument

    pdf = columns_pdf(tmp_path / "columns.pdf")
    if backend == "safe":
        conv = SafePdfExtractor().convert(pdf)
        markdown, doc = conv.markdown, DoclingDocument.model_validate(conv.data)
        # the page's text (what OCR's page choice and triage read) has the paragraph once, not once a box
        from glossapi_dagster.backends.ocr.pages import page_texts
        from glossapi_dagster.backends.quality.stats import per_page_stats

        assert page_texts(conv.data)[1].count("δημοσιεύεται") == 1
        whole = sum(len(t["text"]) for t in conv.data["texts"])  # less the spaces joining the boxes' spans
        assert whole - 3 <= per_page_stats(conv.data)[0]["chars"] <= whole
    else:
        doc = DoclingExtractor("native").convert(pdf).document
        markdown = doc.export_to_markdown()
    assert markdown.strip().split("\n\n") == [COLUMN_TRUTH, *(" ".join(lines) for lines in COLUMN_APART)], markdown
    (paragraph,) = [t for t in doc.texts if t.text == COLUMN_TRUTH]
    assert [p.page_no for p in paragraph.prov] == [1, 1]
    assert paragraph.prov[0].bbox.r < paragraph.prov[1].bbox.l  # the left column's box, then the right's
    spans = [p.charspan for p in paragraph.prov]
    assert spans[0][0] == 0 and spans[-1][1] == len(COLUMN_TRUTH)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))  # in order, none overlapping
    # what goes on: after a word, a word's number or a hyphen, in lower case; not a formula's pieces
    assert goes_on("που ορίζει το άρθρο 28", "παρ. 1 του Συντάγματος") and goes_on("της Θεσσαλο-", "νίκης και")
    assert not goes_on("x 2", "dt") and not goes_on("προστίμου,", "β) επιβολή") and not goes_on("τέλος.", "και")


def test_a_drop_cap_is_its_paragraphs_first_letter(tmp_path):
    """A paragraph's first letter set large beside its first lines (a drop cap) was a heading of
    one letter, and the word it begins broken (`## Ε` / `ίναι γνωστό`). It is the paragraph's
    first letter: joined to the word when the two are one word to the lexicon (`Είναι`), a word
    of its own otherwise (`Η έρευνα`)."""
    markdown = SafePdfExtractor().convert(drop_caps_pdf(tmp_path / "caps.pdf")).markdown
    assert markdown.strip().split("\n\n") == [truth for _, _, truth in DROP_CAPS], markdown


def test_a_text_layers_own_characters_for_punctuation_and_dashes():
    """Read in another font (pdfium's embedding of Liberation Serif), a text layer writes `;` as
    U+037E, the Greek question mark, and a list's dash as U+00AD, the soft hyphen: the lines are
    read before the Unicode clean, so the rules take them as the characters they stand for, and
    the clean shows a dash standing alone between blanks."""
    from glossapi_dagster.backends.extract.text_fixes import clean_text

    lines = ["πρέπει να ισχύουν τα εξής:", "1) ο αιτών έχει πτυχίο φυσικής\u037e", "2) έχει τρία έτη εμπειρίας.",
             "Επιπλέον υποβάλλει:", "\u00ad\u00a0βιογραφικό σημείωμα."]
    edges = [(60, 400), (60, 400), (60, 250), (60, 400), (60, 300)]  # an item's sentence ends short
    assert split_at_starts(lines, edges, 10) == [1, 2, 3, 4]
    assert clean_text("\u00ad Ο αιτών, 45\u00ad47") == "- Ο αιτών, 45-47"
    assert clean_text("Έρευνας\u00ad Πληροφορικής") == "Έρευνας\u00ad Πληροφορικής"  # a break's mark, after letters


@pytest.mark.parametrize("spacing", [1.2, 1.5, 2.0, 2.5])
def test_paragraphs_stay_whole_at_wide_line_spacing(tmp_path, spacing):
    """A thesis set at double spacing has its lines further apart than a single-spaced page's
    paragraphs: the page's own most common gap is its line spacing (extract/line_spacing.py), and
    its paragraphs, the sentence broken around a formula, the list and the title read as at
    single spacing."""
    from .greek_pdfs import SPACED_TRUTH, spaced_pdf

    markdown = SafePdfExtractor().convert(spaced_pdf(tmp_path / "spaced.pdf", spacing)).markdown
    assert markdown.strip().split("\n\n") == SPACED_TRUTH, markdown


@pytest.mark.parametrize("spacing", [1.2, 2.0])
def test_docling_native_paragraphs_stay_whole_at_wide_line_spacing(tmp_path, spacing):
    """The same page through Docling's native pipeline (a line an item, joined by
    native_paragraphs with the page's own line spacing); its title is a paragraph, not a heading
    (no layout model)."""
    from .greek_pdfs import SPACED_TRUTH, spaced_pdf

    doc = DoclingExtractor("native").convert(spaced_pdf(tmp_path / "spaced.pdf", spacing)).document
    assert doc.export_to_markdown().split("\n\n") == [SPACED_TRUTH[0].lstrip("# "), *SPACED_TRUTH[1:]]
