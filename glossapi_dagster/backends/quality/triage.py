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
  no_text_layer           a PDF none of whose pages has text             -> "no_text_layer"
  lgr_page_numbers        pages whose text is still LGR transliteration (cbgreek fonts without
                          ToUnicode the backend could not decode confidently) -> "lgr_transliteration"

GlossAPI's greek_badness_score (its Rust noise scorer) is not reproduced; the garbled-text score
covers what it is used for here: a text layer that is not the text.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter

from ..greek.lgr import evidence as lgr_evidence
from ..extract.pdf_images import EMPTY_PAGE_CHARS, image_cover
from ..item_pages import item_pages
from .charclass import BAD, GREEK, LATIN, NONSPACE, PATTERNS, POLYTONIC, count_classes

MOJIBAKE_MAX = 0.1          # GlossAPI: mojibake_badness_score > 0.1 -> needs_ocr
GARBLED_MAX = 0.2
GARBLED_MIN_WORDS = 20      # fewer words say too little
GARBLED_SAMPLE = 2000       # words examined at most per document (a share of 0.2 is then +-0.01)
SCANNED_COVER = 0.3         # a near-empty page whose pictures cover this share of it is a scan
SCANNED_SHARE = 0.25        # a document with this share of scanned pages goes to OCR
# Words with an LGR mark (an accent slot inside a word, a final vowel + `c`) among the ASCII words
# of a page or document: LGR transliteration at this share. Raw pypdfium2 text of the corpus:
# mas002_midterm1_19 (undecoded LGR) 0.55; every other document 0.11 at most (FEK_A_5's few Latin
# words), English and German papers 0.04 at most.
LGR_SHARE = 0.3
LGR_MIN_WORDS = 20

TRIAGE_COLUMNS = (
    "char_count_no_comments", "is_empty", "percentage_greek", "latin_percentage", "polytonic_ratio",
    "mojibake_badness_score", "garbled_text_score", "empty_pages", "scanned_pages", "filter", "needs_ocr",
)

_COMMENT = re.compile(r"<!--.*?-->", re.S)
_CASE_FLIP = r"[a-z\u00DF-\u00FF\u03AC-\u03CE\u1F00-\u1FFF][A-Z\u0391-\u03A9]"
_LETTER_DIGIT_LETTER = r"[^\W\d_]\d+[^\W\d_]"
_G, _L = PATTERNS[GREEK].pattern, PATTERNS[LATIN].pattern
# a case flip inside a word (okEaaooE), letters around digits (tK244Xn), Greek and Latin letters in
# one word, or a character no real text uses: one search per word
_GARBLED = re.compile(f"{_CASE_FLIP}|{_LETTER_DIGIT_LETTER}|{_G}.*{_L}|{_L}.*{_G}|{PATTERNS[BAD].pattern}")
# _GARBLED, at twice its speed (a short document's triage was a tenth of its cost): the digits of
# letters-digits-letters looked for first (the scan skips to a digit), and a word of ASCII alone,
# most of a Latin text, looked at only for what ASCII can hold (no Greek, no character out of range)
_LDL_DIGIT_FIRST = r"\d(?<=[^\W\d_]\d)\d*[^\W\d_]"
_ASCII_GARBLED = re.compile(f"{_CASE_FLIP}|{_LDL_DIGIT_FIRST}")
_OTHER_GARBLED = re.compile(f"{_CASE_FLIP}|{_LDL_DIGIT_FIRST}|{PATTERNS[BAD].pattern}")
_GREEK_LETTER, _LATIN_LETTER = PATTERNS[GREEK], PATTERNS[LATIN]
_STRIP = ".,;:!?()[]{}\"'«»*_|#-–—…/\\`~<>"
_TWO_LETTERS = re.compile(r"[^\W\d_].*[^\W\d_]")


def text_signals(markdown: str) -> dict:
    """The markdown's own signals (GlossAPI's percentages are of non-whitespace characters)."""
    text = markdown or ""
    text = unicodedata.normalize("NFC", _COMMENT.sub("", text) if "<!--" in text else text)
    counts = count_classes(text)
    n, greek, latin = counts[NONSPACE], counts[GREEK], counts[LATIN]
    polytonic, bad = counts[POLYTONIC], counts[BAD]
    words = [w.strip(_STRIP) for w in _word_sample(text)]
    words = [w for w in words if len(w) >= 3 and _TWO_LETTERS.search(w)]
    garbled = sum(1 for w in words if _garbled(w))
    lgr_words, lgr_marked, _ = lgr_evidence(" ".join(words))
    return {
        "char_count_no_comments": n,
        "is_empty": n == 0,
        "percentage_greek": round(100.0 * greek / n, 3) if n else 0.0,
        "latin_percentage": round(100.0 * latin / n, 3) if n else 0.0,
        "polytonic_ratio": round(polytonic / greek, 2) if greek else 0.0,
        "mojibake_badness_score": round(bad / n, 4) if n else 0.0,
        "garbled_text_score": round(garbled / len(words), 4) if words else 0.0,
        "words": len(words),
        "lgr_like": lgr_words >= LGR_MIN_WORDS and lgr_marked >= LGR_SHARE * lgr_words,
    }


def _garbled(word: str) -> bool:
    """_GARBLED.search(word), faster."""
    if word.isascii():
        return _ASCII_GARBLED.search(word) is not None
    return (_OTHER_GARBLED.search(word) is not None
            or (_GREEK_LETTER.search(word) is not None and _LATIN_LETTER.search(word) is not None))


def _word_sample(text: str, windows: int = 40) -> list[str]:
    """About GARBLED_SAMPLE words spread evenly over the text: a share is estimated as well from an
    even sample of a long document, and splitting a whole book cost more than the rest of triage."""
    span = 8 * GARBLED_SAMPLE // windows  # characters a window: about 8 a word, with its space
    if len(text) <= 2 * span * windows:
        words = text.split()
        return words[:: len(words) // GARBLED_SAMPLE + 1] if len(words) > GARBLED_SAMPLE else words
    step = len(text) // windows
    words: list[str] = []
    for start in range(0, windows * step, step):
        words += text[start:start + span].split()[1:-1]  # a window's first and last words may be cut
    return words


def page_signals(doc: dict, pdf_path=None, page_covers: dict | None = None) -> dict:
    """Per page of a Docling JSON dict: characters of text, and the share covered by pictures
    (Docling's pictures, and the PDF's image objects: a backend that records no pictures still
    shows its scans). page_covers: page -> share, from a backend that measured it while reading;
    else the PDF at pdf_path is opened for the near-empty pages."""
    pages = {int(no): page["size"] for no, page in (doc.get("pages") or {}).items()}
    chars: Counter = Counter()
    cover: Counter = Counter()
    for item in doc.get("texts") or []:
        for page_no, text in item_pages(item):
            # non-blank characters; where the only blank is the space, without splitting the text
            chars[page_no] += len(text) - text.count(" ") if text.isprintable() else sum(map(len, text.split()))
    for pic in doc.get("pictures") or []:
        for prov in pic.get("prov") or []:
            size = pages.get(prov["page_no"])
            if size is not None and size["width"] and size["height"]:
                b = prov["bbox"]
                cover[prov["page_no"]] += abs(b["r"] - b["l"]) * abs(b["t"] - b["b"]) / (size["width"] * size["height"])
    empty = [p for p in sorted(pages) if chars[p] < EMPTY_PAGE_CHARS]
    if page_covers is None and pdf_path is not None:
        page_covers = pdf_image_cover(pdf_path, [p for p in empty if cover[p] < SCANNED_COVER])
    for page_no, share in (page_covers or {}).items():
        cover[page_no] = max(cover[page_no], share)
    scanned = [p for p in empty if cover[p] >= SCANNED_COVER]
    return {"pages": len(pages), "empty_pages": len(empty), "scanned_pages": len(scanned),
            "scanned_page_numbers": scanned}


def pdf_image_cover(pdf_path, page_numbers: list[int]) -> dict[int, float]:
    """Share of each page (1-based numbers) that its image objects cover, from the PDF itself."""
    if not page_numbers:
        return {}
    import pypdfium2 as pdfium

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
                out[page_no] = image_cover(page.raw)
            finally:
                page.close()
    finally:
        pdf.close()
    return out


def lgr_pages(doc: dict | None) -> list[int]:
    """Pages (1-based) of a Docling JSON dict whose text reads as LGR transliteration."""
    text: dict[int, list[str]] = {}
    for item in (doc or {}).get("texts") or []:
        for page_no, part in item_pages(item):
            text.setdefault(page_no, []).append(part)
    pages = []
    for page_no, parts in sorted(text.items()):
        words, marked, _ = lgr_evidence(" ".join(parts))
        if words >= 3 and marked >= LGR_SHARE * words:
            pages.append(page_no)
    return pages


def triage(markdown: str, doc: dict | None = None, is_pdf: bool = True, pdf_path=None,
           page_covers: dict | None = None, repairs: dict | None = None) -> dict:
    """Signals, GlossAPI's filter reasons, and needs_ocr (only a PDF can need OCR); doc is the
    Docling JSON dict; repairs the backend's (lgr_undecoded: pages it left as LGR)."""
    signals = text_signals(markdown)
    lgr = sorted(set((repairs or {}).get("lgr_undecoded") or ()) | set(
        lgr_pages(doc) if signals["lgr_like"] else ()))
    pages = page_signals(doc, pdf_path if is_pdf else None, page_covers) if doc is not None else {"pages": 0, "empty_pages": 0, "scanned_pages": 0,
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
    if pages["pages"] and pages["empty_pages"] == pages["pages"]:
        reasons.append("no_text_layer")  # not one page with text: a scan, or text drawn as paths
    if lgr or signals["lgr_like"]:
        reasons.append("lgr_transliteration")
    reasons = reasons if is_pdf else []
    return {
        **{k: v for k, v in signals.items() if k not in ("words", "lgr_like")},
        "empty_pages": pages["empty_pages"],
        "scanned_pages": pages["scanned_pages"],
        "scanned_page_numbers": pages["scanned_page_numbers"],
        "lgr_page_numbers": lgr,
        "filter": ";".join(reasons) or "ok",
        "needs_ocr": bool(reasons),
    }

