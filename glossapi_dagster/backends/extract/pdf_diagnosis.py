"""Why a PDF could not be read, in words a person can act on (encrypted, corrupt, empty...)."""
from __future__ import annotations

import os
from pathlib import Path


def diagnose_pdf(path: str | Path) -> str | None:
    """A short reason when pdfium cannot open the file or one of its pages; None if it can."""
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            return "empty: zero-byte file"
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"
    with open(path, "rb") as f:
        head = f.read(1024)
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(os.fspath(path))
    except pdfium.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            return "encrypted: the PDF needs a password"
        if b"%PDF-" not in head:
            return f"corrupt: no %PDF- header ({message})"
        return f"corrupt: {message}"
    try:
        for index in range(len(doc)):
            try:
                doc[index].close()
            except pdfium.PdfiumError as exc:
                return f"corrupt: page {index + 1} of {len(doc)} cannot be loaded ({exc})"
        if len(doc) == 0:
            return "empty: the PDF has no pages"
    finally:
        doc.close()
    return None
