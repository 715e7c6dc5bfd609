"""What every Phase-1 backend returns, and how it says a document cannot be converted."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ...state.filetype import is_pdf
from .pdf_diagnosis import diagnose_pdf


@dataclass
class Conversion:
    document: object                 # docling_core DoclingDocument (None where data is given)
    page_count: int
    seconds: float
    backend: str                     # recorded as extraction_backend: docling-native, safe, rapidocr, ...
    timings: dict = field(default_factory=dict)
    markdown: str | None = None      # set by a backend that writes its own (already clean) markdown
    data: dict | None = None         # the Docling JSON itself, from a backend that builds it directly
    page_covers: dict | None = None  # near-empty page -> share its images cover, measured while reading
    repairs: dict | None = None      # text repairs made -> their pages (lgr, lgr_undecoded, lookalikes, ...)
    page_quality: dict | None = None  # OCR: page -> its readability (confidence, lexicon hits, unreadable)
    # the last page's last paragraph may go on over the next page break (page_joins: a long
    # document's ranges are stitched by it); the safe backend knows a note's size from the body's
    ends_open: bool = True

    def to_dict(self) -> dict:
        """The Docling JSON, as DoclingDocument.export_to_dict() gives it."""
        return self.data if self.data is not None else self.document.export_to_dict()


class ConversionFailed(Exception):
    """The document cannot be converted; its message is the reason recorded in the store."""


class Extractor(Protocol):
    """Built once per worker; converts one document at a time."""

    def convert(self, path: str | Path) -> Conversion: ...


def failure_reason(path: str | Path, detail: str) -> str:
    """A reason a person can act on: pdfium's diagnosis of a PDF when it has one."""
    try:
        open(path, "rb").close()
    except OSError as exc:  # gone or locked under the run: the file's fault is not the document's
        return f"unreadable: {exc.strerror or exc}"
    if is_pdf(path):
        diagnosis = diagnose_pdf(path)
        if diagnosis:
            return diagnosis
    return f"conversion failed: {detail[:500]}"
