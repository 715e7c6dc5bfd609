"""Triage: per-document text-quality signals after extraction, and whether OCR would do better.

Columns follow GlossAPI (its Corpus.clean gates) where it has a name for the signal:
  char_count_no_comments  non-whitespace characters of the markdown, HTML comments left out
  is_empty                no such character at all                     -> filter token "is_empty"
  percentage_greek        Greek letters / those characters x 100
  latin_percentage        Latin letters / those characters x 100
  polytonic_ratio         polytonic Greek (U+1F00-1FFF) / Greek letters
  mojibake_badness_score  share of characters outside Greek, Latin, digits, punctuation and the
                          usual symbols (glyph codes, dingbats, private use, U+FFFD)
                                                                       -> "mojibake>0.1" (GlossAPI's gate)
  filter                  "ok", or the reasons joined by ';'
  needs_ocr               a PDF with any reason
and this project's own:
  garbled_text_score      share of words that no text layer of a real text contains: case flips
                          inside a word (okEaaooE), letters around digits (tK244Xn), Greek and
                          Latin letters in one word, mojibake characters in a word
                                                                       -> "garbled_text" (> 0.2)
  empty_pages             pages with fewer than 50 characters of text
  scanned_pages           such pages mostly covered by a picture: scans  -> "scanned_pages" (>= 25%)

GlossAPI's greek_badness_score (its Rust noise scorer) is not reproduced; the garbled-text score
covers what it is used for here: a text layer that is not the text.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter

MOJIBAKE_MAX = 0.1          # GlossAPI: mojibake_badness_score > 0.1 -> needs_ocr
GARBLED_MAX = 0.2
GARBLED_MIN_WORDS = 20      # fewer words say too little
GARBLED_SAMPLE = 5000       # words examined at most per document
EMPTY_PAGE_CHARS = 50
SCANNED_COVER = 0.3         # a near-empty page whose pictures cover this share of it is a scan
SCANNED_SHARE = 0.25        # a document with this share of scanned pages goes to OCR

TRIAGE_COLUMNS = (
    "char_count_no_comments", "is_empty", "percentage_greek", "latin_percentage", "polytonic_ratio",
    "mojibake_badness_score", "garbled_text_score", "empty_pages", "scanned_pages", "filter", "needs_ocr",
)

_COMMENT = re.compile(r"<!--.*?-->", re.S)
_GREEK = re.compile(r"[\u0370-\u03FF\u1F00-\u1FFF]")
_POLYTONIC = re.compile(r"[\u1F00-\u1FFF]")
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F\u1E00-\u1EFF]")
_CASE_FLIP = re.compile(r"[a-z\u00DF-\u00FF\u03AC-\u03CE\u1F00-\u1FFF][A-Z\u0391-\u03A9]")
_LETTER_DIGIT_LETTER = re.compile(r"[^\W\d_]\d+[^\W\d_]")
_STRIP = ".,;:!?()[]{}\"'«»*_|#-–—…/\\`~<>"

# Ranges a real text of this corpus is written in (besides ASCII and whitespace).
_ALLOWED = (
    (0x00A0, 0x024F),  # Latin-1, Latin Extended-A/B
    (0x0300, 0x036F),  # combining diacritics
    (0x0370, 0x03FF), (0x1F00, 0x1FFF),  # Greek, polytonic Greek
    (0x1E00, 0x1EFF),  # Latin Extended Additional
    (0x2000, 0x20CF),  # punctuation, super/subscripts, currency
    (0x2100, 0x23FF),  # letterlike, number forms, arrows, math operators, technical
    (0x2500, 0x25FF),  # box drawing, geometric shapes (bullets)
    (0x27C0, 0x27EF), (0x2980, 0x2AFF),  # mathematical symbols
    (0xFB00, 0xFB06),  # ligatures
    (0x1D400, 0x1D7FF),  # mathematical alphanumerics
)


_RANGES = "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _ALLOWED)
# Characters outside every range a real text uses (whitespace aside): counted by regex, not per
# character in Python, which made triage cost more than the extraction it follows.
_BAD = re.compile(f"[^\\s\x00-\x7f{_RANGES}]")
_NONSPACE = re.compile(r"\S")
_TWO_LETTERS = re.compile(r"[^\W\d_].*[^\W\d_]")


def _garbled(word: str) -> bool:
    return bool(_CASE_FLIP.search(word) or _LETTER_DIGIT_LETTER.search(word)
                or (_GREEK.search(word) and _LATIN.search(word)) or _BAD.search(word))


def text_signals(markdown: str) -> dict:
    """The markdown's own signals (GlossAPI's percentages are of non-whitespace characters)."""
    text = unicodedata.normalize("NFC", _COMMENT.sub("", markdown or ""))
    n = len(_NONSPACE.findall(text))
    greek = len(_GREEK.findall(text))
    latin = len(_LATIN.findall(text))
    polytonic = len(_POLYTONIC.findall(text))
    bad = len(_BAD.findall(text))
    words = text.split()
    if len(words) > GARBLED_SAMPLE:  # a share: an even sample of a long document estimates it well
        words = words[:: len(words) // GARBLED_SAMPLE + 1]
    words = [w.strip(_STRIP) for w in words]
    words = [w for w in words if len(w) >= 3 and _TWO_LETTERS.search(w)]
    garbled = sum(1 for w in words if _garbled(w))
    return {
        "char_count_no_comments": n,
        "is_empty": n == 0,
        "percentage_greek": round(100.0 * greek / n, 3) if n else 0.0,
        "latin_percentage": round(100.0 * latin / n, 3) if n else 0.0,
        "polytonic_ratio": round(polytonic / greek, 2) if greek else 0.0,
        "mojibake_badness_score": round(bad / n, 4) if n else 0.0,
        "garbled_text_score": round(garbled / len(words), 4) if words else 0.0,
        "words": len(words),
    }


def page_signals(doc, pdf_path=None) -> dict:
    """Per page of a DoclingDocument: characters of text, and the share covered by pictures
    (Docling's pictures, and where the PDF is given, its image objects: a backend that records
    no pictures still shows its scans)."""
    pages = {int(no): page.size for no, page in (getattr(doc, "pages", None) or {}).items()}
    chars: Counter = Counter()
    cover: Counter = Counter()
    for item in getattr(doc, "texts", None) or []:
        for prov in getattr(item, "prov", None) or []:
            chars[prov.page_no] += len(_NONSPACE.findall(item.text))
    for pic in getattr(doc, "pictures", None) or []:
        for prov in getattr(pic, "prov", None) or []:
            size = pages.get(prov.page_no)
            if size is not None and size.width and size.height:
                b = prov.bbox
                cover[prov.page_no] += abs(b.r - b.l) * abs(b.t - b.b) / (size.width * size.height)
    empty = [p for p in sorted(pages) if chars[p] < EMPTY_PAGE_CHARS]
    if pdf_path is not None:
        for page_no, share in pdf_image_cover(pdf_path, [p for p in empty if cover[p] < SCANNED_COVER]).items():
            cover[page_no] = max(cover[page_no], share)
    scanned = [p for p in empty if cover[p] >= SCANNED_COVER]
    return {"pages": len(pages), "empty_pages": len(empty), "scanned_pages": len(scanned),
            "scanned_page_numbers": scanned}


def pdf_image_cover(pdf_path, page_numbers: list[int]) -> dict[int, float]:
    """Share of each page (1-based numbers) that its image objects cover, from the PDF itself."""
    if not page_numbers:
        return {}
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    out: dict[int, float] = {}
    try:
        pdf = pdfium.PdfDocument(str(pdf_path))
    except (pdfium.PdfiumError, OSError):
        return out
    try:
        for page_no in page_numbers:
            if not 1 <= page_no <= len(pdf):
                continue
            try:
                page = pdf[page_no - 1]
            except pdfium.PdfiumError:
                continue
            try:
                width, height = page.get_size()
                area = 0.0
                for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4):
                    left, bottom, right, top = obj.get_bounds()
                    w = max(0.0, min(right, width) - max(left, 0.0))
                    h = max(0.0, min(top, height) - max(bottom, 0.0))
                    area += w * h
                out[page_no] = min(1.0, area / (width * height)) if width and height else 0.0
            finally:
                page.close()
    finally:
        pdf.close()
    return out


def triage(markdown: str, doc=None, is_pdf: bool = True, pdf_path=None) -> dict:
    """Signals, GlossAPI's filter reasons, and needs_ocr (only a PDF can need OCR)."""
    signals = text_signals(markdown)
    pages = page_signals(doc, pdf_path if is_pdf else None) if doc is not None else {"pages": 0, "empty_pages": 0, "scanned_pages": 0,
                                                       "scanned_page_numbers": []}
    reasons = []
    if signals["is_empty"]:
        reasons.append("is_empty")
    if signals["mojibake_badness_score"] > MOJIBAKE_MAX:
        reasons.append("mojibake>0.1")
    if signals["words"] >= GARBLED_MIN_WORDS and signals["garbled_text_score"] > GARBLED_MAX:
        reasons.append("garbled_text")
    if pages["pages"] and pages["scanned_pages"] / pages["pages"] >= SCANNED_SHARE:
        reasons.append("scanned_pages")
    reasons = reasons if is_pdf else []
    return {
        **{k: v for k, v in signals.items() if k != "words"},
        "empty_pages": pages["empty_pages"],
        "scanned_pages": pages["scanned_pages"],
        "scanned_page_numbers": pages["scanned_page_numbers"],
        "filter": ";".join(reasons) or "ok",
        "needs_ocr": bool(reasons),
    }


def triage_outputs(layout, stem: str, is_pdf: bool = True, pdf_path=None) -> dict:
    """Triage a document already extracted: its markdown and Docling JSON as written."""
    from docling_core.types.doc import DoclingDocument

    from .artifacts import load_docling_json

    markdown = layout.markdown(stem).read_text(encoding="utf-8")
    json_path = layout.docling_json(stem)
    doc = DoclingDocument.model_validate(load_docling_json(json_path)) if json_path.exists() else None
    return triage(markdown, doc, is_pdf, pdf_path)
