"""A file's kind comes from its bytes: a wrong extension neither hides a PDF nor lets an image through."""
import re
import shutil
import zipfile

import pytest

from glossapi_dagster.state.filetype import sniff_file, sniff_head

from .conftest import BUNDLED


def _zip(path, names):
    with zipfile.ZipFile(path, "w") as z:
        for name in names:
            z.writestr(name, "<x/>")
    return path


def test_a_pdf_under_another_name_is_a_pdf(tmp_path):
    pdf = shutil.copy(BUNDLED / "pdfs" / "ocr_test.pdf", tmp_path / "paper.docx")
    assert sniff_file(pdf, hint="docx").kind == "pdf"
    # junk before the header within the first KiB, as readers accept it
    assert sniff_head(b"\r\n garbage \n%PDF-1.4\n...").kind == "pdf"


def test_a_pdf_whose_header_is_lost_is_still_a_pdf(tmp_path):
    """Readers (docling-parse, pdf.js) rebuild a PDF from its objects when the %PDF- line is gone: its
    bytes are a PDF, which the safe backend hands to Docling when pdfium refuses it."""
    import pypdfium2 as pdfium

    made = pdfium.PdfDocument.new()
    made.new_page(200, 100)
    made.save(tmp_path / "whole.pdf")
    data = (tmp_path / "whole.pdf").read_bytes()
    headless = data[re.search(rb"\d+ 0 obj", data).start():]  # the header and its binary comment cut off
    assert b"%PDF-" not in headless
    (tmp_path / "headless.pdf").write_bytes(headless)
    assert sniff_file(tmp_path / "headless.pdf", "pdf").kind == "pdf"
    assert sniff_head(b"# Notes\n\nThe 3 0 obj values were read.\n", "md").kind == "md"  # prose is not an object


@pytest.mark.parametrize("head,what", [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG"), (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "legacy Office"), (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "WebP"),
    (b"\x00\x01\x02\x03binary", "binary data")])
def test_what_is_no_document_is_refused_with_its_name(head, what):
    for hint in ("docx", "md", "html", "pdf"):
        kind = sniff_head(head, hint)
        assert kind.kind is None and what in kind.reason


def test_office_packages_are_told_apart_by_their_parts(tmp_path):
    assert sniff_file(_zip(tmp_path / "a.zip", ["word/document.xml", "[Content_Types].xml"])).kind == "docx"
    assert sniff_file(_zip(tmp_path / "b.docx", ["ppt/presentation.xml"])).kind == "pptx"
    xlsx = sniff_file(_zip(tmp_path / "c.docx", ["xl/workbook.xml"]))
    assert xlsx.kind is None and "Excel" in xlsx.reason
    assert sniff_file(_zip(tmp_path / "d.docx", ["notes.txt"])).reason.startswith("a ZIP archive")
    broken = tmp_path / "e.docx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    assert "damaged ZIP" in sniff_file(broken).reason


def test_empty_and_text_files():
    assert sniff_head(b"", "md").reason == "empty: zero-byte file"
    assert sniff_head("# Τίτλος\n\nΚείμενο.".encode(), "md").kind == "md"
    assert sniff_head("# Τίτλος".encode(), None).kind is None  # plain text without a .md name
    assert sniff_head(b"<!DOCTYPE html><html><body>x</body></html>", "pdf").kind == "html"
    assert sniff_head(b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">', "xml").kind == "html"
    assert sniff_head(b'<?xml version="1.0"?><article><p>x</p></article>', None).kind == "xml"
    # markdown that mentions a tag is still markdown
    assert sniff_head(b"Use <body> for the page body.\n", "md").kind == "md"
    # a UTF-8 character cut in two by the head's end is still text
    cut = ("α" * 10).encode()[:-1]
    assert sniff_head(cut, "md").kind == "md"
    # cp1253 Greek text is text
    assert sniff_head("Άρθρο πρώτο".encode("cp1253"), "md").kind == "md"
