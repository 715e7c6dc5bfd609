"""PDFs the OCR tests make: a hybrid (born-digital pages, then image-only pages rendered from
another document) and a polytonic Greek page rendered with GFS Didot into an image-only PDF."""
from __future__ import annotations

import glob
from pathlib import Path

# The opening of the Gospel of John and a line of the Iliad: breathings, accents, iota subscripts.
POLYTONIC_TEXT = [
    "Ἐν ἀρχῇ ἦν ὁ λόγος, καὶ ὁ λόγος ἦν πρὸς τὸν θεόν,",
    "καὶ θεὸς ἦν ὁ λόγος. οὗτος ἦν ἐν ἀρχῇ πρὸς τὸν θεόν.",
    "πάντα δι᾽ αὐτοῦ ἐγένετο, καὶ χωρὶς αὐτοῦ ἐγένετο οὐδὲ ἕν.",
    "ὃ γέγονεν ἐν αὐτῷ ζωὴ ἦν, καὶ ἡ ζωὴ ἦν τὸ φῶς τῶν ἀνθρώπων·",
    "καὶ τὸ φῶς ἐν τῇ σκοτίᾳ φαίνει, καὶ ἡ σκοτία αὐτὸ οὐ κατέλαβεν.",
    "Μῆνιν ἄειδε θεὰ Πηληϊάδεω Ἀχιλῆος οὐλομένην,",
    "ἣ μυρί᾽ Ἀχαιοῖς ἄλγε᾽ ἔθηκε, πολλὰς δ᾽ ἰφθίμους ψυχὰς",
    "Ἄϊδι προΐαψεν ἡρώων, αὐτοὺς δὲ ἑλώρια τεῦχε κύνεσσιν.",
]
FONT_GLOBS = ("/usr/share/fonts/opentype/didot/GFSDidot.otf", "/usr/share/fonts/*/gfs*/*Didot*.otf",
              "/usr/share/fonts/**/GFS*.otf", "/usr/share/fonts/**/GFS*.ttf")


def greek_font() -> str:
    for pattern in FONT_GLOBS:
        found = sorted(glob.glob(pattern, recursive=True))
        if found:
            return found[0]
    raise FileNotFoundError("no GFS font with the Greek Extended range: apt-get install fonts-gfs-didot")


def polytonic_pdf(path: Path, dpi: int = 300) -> Path:
    """One A4 page, an image only (no text layer), of POLYTONIC_TEXT set in GFS Didot at 14 pt."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = round(8.27 * dpi), round(11.69 * dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(greek_font(), round(14 * dpi / 72))
    y = round(1.2 * dpi)
    for line in POLYTONIC_TEXT:
        draw.text((round(0.9 * dpi), y), line, font=font, fill=0)
        y += round(26 * dpi / 72)
    page.save(path, "PDF", resolution=dpi)
    return path


def image_pdf(src: Path, pages: list[int], path: Path, dpi: int = 150) -> Path:
    """The given pages (1-based) of src rendered to images: a PDF with no text layer."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(src))
    try:
        images = [pdf[p - 1].render(scale=dpi / 72).to_pil().convert("L") for p in pages]
    finally:
        pdf.close()
    images[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return path


def hybrid_pdf(text_src: Path, text_pages: list[int], scan_src: Path, scan_pages: list[int], path: Path) -> Path:
    """text_src's pages as they are (their text layer), then scan_src's pages as images only."""
    import pypdfium2 as pdfium

    scans = image_pdf(scan_src, scan_pages, path.with_suffix(".scans.pdf"))
    out = pdfium.PdfDocument.new()
    for src, pages in ((text_src, text_pages), (scans, list(range(1, len(scan_pages) + 1)))):
        pdf = pdfium.PdfDocument(str(src))
        out.import_pages(pdf, [p - 1 for p in pages])
        pdf.close()
    out.save(str(path))
    out.close()
    scans.unlink()
    return path
