"""What a file is, read from its bytes, not from its name.

A name's extension is often wrong in a harvested corpus (a PDF saved as `paper.docx`, a JPEG
renamed `.md`), and a server's Content-Type more often still (a PDF served as
`application/octet-stream`, a login page served where a PDF was promised). The converter is
chosen from what the bytes are; what is none of the accepted kinds is refused with its reason
before any converter sees it (Docling would otherwise try to fetch a model for an image).
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

ACCEPTED = ("pdf", "docx", "pptx", "html", "xml", "md")
HEAD_BYTES = 8192
# PDF readers accept junk before the header within the first KiB (Acrobat's rule).
PDF_HEADER_WINDOW = 1024

# A PDF whose header is lost still starts with its objects ("1 0 obj <<"): readers (docling-parse,
# pdf.js) rebuild it from them, so its bytes are a PDF all the same.
_PDF_OBJECT = re.compile(rb"(?:^|[\r\n])\s*\d+\s+\d+\s+obj\s*<<")

# Signatures of what is not a document we convert: named so the reason reads well.
_MAGIC = (
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office file (.doc/.ppt/.xls)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"AT&TFORM", "a DjVu document"),
    (b"%!PS", "a PostScript file"),
    (b"{\\rtf", "an RTF document"),
)
# The part every Office Open XML package of that kind has (ECMA-376 part 2's main parts).
_OOXML = (("word/document.xml", "docx"), ("ppt/presentation.xml", "pptx"))


@dataclass(frozen=True)
class FileType:
    kind: str | None           # one of ACCEPTED, or None when the file is none of them
    reason: str | None = None  # why not, in words a user reads in a problematic row

    @property
    def accepted(self) -> bool:
        return self.kind is not None


def is_pdf(path: str | Path) -> bool:
    """Are the file's bytes a PDF, whatever its name? (False when it cannot be read.)"""
    try:
        with open(path, "rb") as f:
            return sniff_head(f.read(PDF_HEADER_WINDOW)).kind == "pdf"
    except OSError:
        return False


def sniff_file(path: str | Path, hint: str | None = None) -> FileType:
    """The kind of the file at `path`. `hint`: the extension its name (or a URL, or a
    Content-Type) suggests, without the dot; it decides only between kinds the bytes allow
    (plain text is markdown only where a .md name says so). OSError propagates: an unreadable
    file is the caller's to report."""
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    return sniff_head(head, hint)


def sniff_head(head: bytes, hint: str | None = None) -> FileType:
    """The kind from a file's first bytes (a ZIP needs the whole file: see sniff_file)."""
    hint = (hint or "").lower().lstrip(".")
    if not head:
        return FileType(None, "empty: zero-byte file")
    if b"%PDF-" in head[:PDF_HEADER_WINDOW] or _PDF_OBJECT.search(head[:PDF_HEADER_WINDOW]):
        return FileType("pdf")
    if head.startswith(b"PK\x03\x04"):
        return FileType(None, "a ZIP archive (read the whole file to tell an Office document)")
    if head[8:12] == b"WEBP" and head.startswith(b"RIFF"):
        return FileType(None, "a WebP image, not a document")
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return FileType(None, f"{what}, not a document this pipeline converts")
    text = _as_text(head)
    if text is None:
        return FileType(None, "binary data of no document type this pipeline converts")
    return _text_kind(text, hint)


def _zip_kind(path: str | Path) -> FileType:
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return FileType(None, f"a damaged ZIP archive ({exc})")
    for part, kind in _OOXML:
        if part in names:
            return FileType(kind)
    if "xl/workbook.xml" in names:
        return FileType(None, "an Excel workbook (xlsx), not a document this pipeline converts")
    if "mimetype" in names and any(n.endswith(".opf") for n in names):
        return FileType(None, "an EPUB book, not a document this pipeline converts")
    return FileType(None, "a ZIP archive that is not a Word or PowerPoint document")


def _as_text(head: bytes) -> str | None:
    """The head as text when it is text: no NUL bytes, and UTF-8 (or UTF-16 with its BOM); the
    last character may be cut in two by the head's end."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return head.decode("utf-16", errors="ignore")
        except UnicodeDecodeError:
            return None
    if b"\x00" in head:
        return None
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a multi-byte character cut by the head's end
            return head[:exc.start].decode("utf-8")
        # A legacy 8-bit text (cp1253 Greek): text all the same, if it has no control bytes.
        if all(b >= 0x20 or b in b"\t\n\r\f" for b in head):
            return head.decode("latin-1")
        return None


def _text_kind(text: str, hint: str) -> FileType:
    start = text.lstrip("\ufeff \t\r\n").lower()
    if start.startswith(("<!doctype html", "<html")) or (hint != "md" and _looks_like_html(start[:2048])):
        return FileType("html")
    if start.startswith("<?xml") or (start.startswith("<") and hint == "xml"):
        return FileType("xml")
    if hint == "md":
        return FileType("md")
    if hint in ("html", "htm", "xhtml") and start.startswith("<"):
        return FileType("html")
    return FileType(None, f"plain text{f' named .{hint}' if hint else ''}, not a document this pipeline converts")


def _looks_like_html(start: str) -> bool:
    # An XHTML page starts with <?xml ... and carries the XHTML namespace or an <html> element.
    return any(tag in start for tag in ("<html", "<head>", "<body", "http://www.w3.org/1999/xhtml"))
