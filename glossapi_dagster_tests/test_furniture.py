"""Running headers and footers of a two-page document (backends/extract/furniture.py). A running
header repeats at most once there, so a line is furniture only when it is printed the same to the
letter on both pages, outermost in the same band; text that merely looks alike stays. PDFs are
generated: an article's two pages under its journal's header, and a decree whose two pages open
with articles numbered one after the other."""
from __future__ import annotations

from pathlib import Path

import pytest
from docling_core.types.doc import DoclingDocument

from glossapi_dagster.backends.extract.docling_extractor import DoclingExtractor
from glossapi_dagster.backends.extract.safe_pdf import SafePdfExtractor

from .greek_pdfs import GREEK_PARAGRAPHS, _Writer

HEADER = "ΕΠΙΘΕΩΡΗΣΗ ΚΟΙΝΩΝΙΚΩΝ ΕΡΕΥΝΩΝ 158 (2022)"
FOOTER = "Εθνικό Κέντρο Κοινωνικών Ερευνών"


def _two_pages(path: Path, tops: list[str], bottoms: list[str]) -> Path:
    writer = _Writer()
    for page in range(2):
        writer.new_page()
        if tops[page]:
            writer.text(tops[page], 150, 800, 8)
        y = 740
        for paragraph in GREEK_PARAGRAPHS[1 + 3 * page:4 + 3 * page]:
            y = writer.paragraph(paragraph, 60, y, 10)
        if bottoms[page]:
            writer.text(bottoms[page], 200, 40, 8)
    return writer.save(path)


def _read(backend: str, pdf: Path) -> tuple[str, list[str]]:
    conversion = (SafePdfExtractor() if backend == "safe" else DoclingExtractor("native")).convert(pdf)
    markdown = conversion.markdown or conversion.document.export_to_markdown()
    doc = conversion.document or DoclingDocument.model_validate(conversion.data)
    furniture = [item.text for item in doc.texts if item.content_layer.value == "furniture"]
    return markdown, furniture


@pytest.mark.parametrize("backend", ["safe", "docling"])
def test_a_two_page_articles_running_header_and_footer_are_furniture(tmp_path, backend):
    markdown, furniture = _read(backend, _two_pages(tmp_path / "article.pdf", [HEADER, HEADER], [FOOTER, FOOTER]))
    assert HEADER not in markdown and FOOTER not in markdown, markdown
    assert furniture.count(HEADER) == 2 and furniture.count(FOOTER) == 2, furniture
    assert "Κυβερνητικά" in markdown and "υποστήριξη" in markdown  # the text of both pages stays


@pytest.mark.parametrize("backend", ["safe", "docling"])
def test_lines_that_only_look_alike_on_two_pages_stay_text(tmp_path, backend):
    # articles numbered one after the other open both pages at the same place; a journal's header
    # printed on one page only is no running header either
    markdown, furniture = _read(backend, _two_pages(tmp_path / "decree.pdf", ["Άρθρο 5", "Άρθρο 6"], [FOOTER, ""]))
    assert "Άρθρο 5" in markdown and "Άρθρο 6" in markdown and FOOTER in markdown, markdown
    assert not furniture, furniture
