"""The Government Gazette's first page as a Greek reader sees it, through 'safe' (the bundled ΦΕΚ):
the masthead first, in top-to-bottom order (pdfium reads it after the page's text); the coat of
arms' lone glyph and the bare page number out of the body, kept in the JSON (background layer,
furniture); no letter of the page's text layer lost."""
from __future__ import annotations

import re
import unicodedata
from collections import Counter

import pypdfium2 as pdfium
import pytest
from docling_core.types.doc import ContentLayer, DocItemLabel, DoclingDocument

from glossapi_dagster.backends.extract.base import ConversionFailed
from glossapi_dagster.backends.extract.furniture import BAND
from glossapi_dagster.backends.extract.safe_pdf import SafePdfExtractor
from glossapi_dagster.backends.greek.lookalikes import fix_lookalikes

from .conftest import BUNDLED

GAZETTES = sorted((BUNDLED / "pdfs").glob("FEK_*.pdf"))
MASTHEAD = "ΕΦΗΜΕΡΙΔΑ ΤΗΣ ΚΥΒΕΡΝΗΣΕΩΣ ΤΗΣ ΕΛΛΗΝΙΚΗΣ ΔΗΜΟΚΡΑΤΙΑΣ"
ISSUE = re.compile(r"\d{1,2} \w+ \d{4} ΤΕΥΧΟΣ ΠΡΩΤΟ Αρ\. Φύλλου \d+")
TITLE = re.compile(r"ΝΟΜΟΣ ΥΠ’ ΑΡΙΘΜ\.|ΠΡΟΕΔΡΙΚΟ ΔΙΑΤΑΓΜΑ")
BARE_NUMBER = re.compile(r"\d+")


@pytest.fixture(scope="module")
def gazettes() -> dict:
    """stem -> its conversion; the truncated gazette, which pdfium cannot open, is refused."""
    out = {}
    for pdf in GAZETTES:
        try:
            out[pdf.stem] = SafePdfExtractor().convert(pdf)
        except ConversionFailed as exc:
            assert "truncated" in pdf.stem and str(exc).startswith("corrupt"), (pdf.name, exc)
    assert len(out) >= 3, sorted(out)
    return out


def _page(doc: DoclingDocument, page_no: int, layer: ContentLayer) -> list:
    """The page's text items of one layer: the body's in reading order (its tree), the others'
    (under the furniture's tree) as listed."""
    items = ([item for item, _ in doc.iterate_items(with_groups=False) if hasattr(item, "text")]
             if layer == ContentLayer.BODY
             else [item for item in doc.texts if item.content_layer == layer])
    return [item for item in items if item.prov and item.prov[0].page_no == page_no]


def _letters(text: str) -> Counter:
    """Letters and digits, Greek as a reader reads it (lookalikes mapped, NFC)."""
    return Counter(re.findall(r"\w", unicodedata.normalize("NFC", fix_lookalikes(text))))


def test_masthead_comes_first_in_reading_order(gazettes):
    for stem, conv in gazettes.items():
        body = [item.text for item in _page(DoclingDocument.model_validate(conv.data), 1, ContentLayer.BODY)]
        assert body[0] == MASTHEAD and ISSUE.fullmatch(body[1]), (stem, body[:3])
        assert TITLE.match(body[2]), (stem, body[:3])
        page1 = conv.markdown.split("\n\n")
        assert page1[0] == MASTHEAD and page1.index(body[1]) < next(
            i for i, block in enumerate(page1) if TITLE.match(block)), stem
    # the last word of FEK_A_5's page 1 (`Θεσσαλο-νίκης`, going on at page 2) runs into the
    # masthead in pdfium's text: cut there, the masthead keeps its first word, and the word is
    # whole again over the page break (page_joins)
    md = gazettes["FEK_A_5_-_17.01.2018"].markdown
    assert "ΘεσσαλοΕΦΗΜΕΡΙΔΑ" not in md and "Γραφείων Θεσσαλονίκης και Πειραιά" in md


def test_no_decoration_glyph_nor_page_number_in_the_body(gazettes):
    for stem, conv in gazettes.items():
        doc = DoclingDocument.model_validate(conv.data)
        assert doc.export_to_dict() == conv.data, stem  # what docling-core itself would write
        lines = conv.markdown.split("\n\n")
        # a lone glyph (a table's cells of one digit are real: FEK_A_5's page 48)
        assert not [line for line in lines if len(line.strip()) == 1 and not line.strip().isdigit()], stem
        for page_no, page in doc.pages.items():
            height = page.size.height
            for item in _page(doc, page_no, ContentLayer.BODY):
                box = item.prov[0].bbox.to_bottom_left_origin(height)
                in_margin = (height - box.t) / height <= BAND or box.b / height <= BAND
                assert not (in_margin and BARE_NUMBER.fullmatch(item.text)), (stem, page_no, item.text)
        # both kept in the JSON: the coat of arms' `E` in the background, the number a page header
        assert [i.text for i in _page(doc, 1, ContentLayer.BACKGROUND)] == ["E"], stem
        headers = [i for i in _page(doc, 1, ContentLayer.FURNITURE) if i.label == DocItemLabel.PAGE_HEADER]
        assert len(headers) == 1 and BARE_NUMBER.fullmatch(headers[0].text), stem
        # it is the page number: page 2's header goes on from it (`7769`, then `7770 ΕΦΗΜΕΡΙΔΑ ...`)
        page2 = " ".join(i.text for layer in ContentLayer for i in _page(doc, 2, layer))
        assert str(int(headers[0].text) + 1) in page2.split(), (stem, headers[0].text)
        assert set(conv.repairs["decorations"]) == {1} and 1 in conv.repairs["furniture"], conv.repairs


def test_no_letter_of_page_one_lost(gazettes):
    """Every letter and digit of pdfium's page text is in the JSON; the body lacks exactly the
    coat of arms' glyph and the page number."""
    for stem, conv in gazettes.items():
        pdf = pdfium.PdfDocument(str(BUNDLED / "pdfs" / f"{stem}.pdf"))
        try:
            layer_text = pdf[0].get_textpage().get_text_range()
        finally:
            pdf.close()
        doc = DoclingDocument.model_validate(conv.data)
        every = " ".join(i.text for layer in ContentLayer for i in _page(doc, 1, layer))
        body = " ".join(i.text for i in _page(doc, 1, ContentLayer.BODY))
        expected = _letters(layer_text)
        assert not expected - _letters(every), (stem, expected - _letters(every))
        number = next(i.text for i in _page(doc, 1, ContentLayer.FURNITURE))
        assert expected - _letters(body) == Counter("E" + number), (stem, expected - _letters(body))


def test_front_matter_roman_page_numbers_are_furniture():
    # GeoTopo's front matter has `iii` alone in a page's margin: a page number, not text
    conv = SafePdfExtractor().convert(BUNDLED / "pdfs" / "GeoTopo-komprimiert.pdf")
    assert not re.search(r"(?m)^iii$", conv.markdown)
    furniture = [t["text"] for t in conv.to_dict()["texts"] if t.get("content_layer") == "furniture"]
    assert "iii" in furniture
    assert "(a) S" in conv.markdown and "(b) Würfel (c) Pyramide" in conv.markdown  # the page's text stays
