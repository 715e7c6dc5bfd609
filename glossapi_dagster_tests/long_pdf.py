"""Long PDFs made from corpus documents (pypdfium2's import_pages): the tests' and benchmarks'
volumes of hundreds or thousands of pages, which the corpus does not have."""
from __future__ import annotations

from pathlib import Path


def build_pdf(pdfs: Path, names: list[str], pages: int, dst: Path) -> Path:
    """`pages` pages taken in turn from the named PDFs of the folder `pdfs`."""
    import pypdfium2 as pdfium

    sources = [pdfium.PdfDocument(str(pdfs / n)) for n in names]
    out = pdfium.PdfDocument.new()
    while len(out) < pages:
        for src in sources:
            take = min(len(src), pages - len(out))
            if take > 0:
                out.import_pages(src, list(range(take)))
    dst.parent.mkdir(parents=True, exist_ok=True)
    out.save(str(dst))
    if len(pdfium.PdfDocument(str(dst))) != pages:
        raise RuntimeError(f"{dst} has not the {pages} pages asked for")
    return dst


def compose_pdf(pages: list[tuple[Path, int]], dst: Path) -> Path:
    """A PDF of the given (source PDF, 1-based page) pages, in that order."""
    import pypdfium2 as pdfium

    sources: dict = {}
    out = pdfium.PdfDocument.new()
    for src, page in pages:
        if src not in sources:
            sources[src] = pdfium.PdfDocument(str(src))
        out.import_pages(sources[src], [page - 1])
    dst.parent.mkdir(parents=True, exist_ok=True)
    out.save(str(dst))
    return dst
