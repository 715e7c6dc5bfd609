"""Which words each Greek rule changes, over the whole corpus (issue 26): every rule is switched off
in turn and the words that differ from the output with every rule on are counted and listed.

    .venv/bin/python benchmarks/bench_greek_rules.py [--corpus DIR] [--docling] [--ocr] [--json OUT]

Text-layer rules ('safe' over every PDF of the corpus; with --docling, Docling native too):
  lookalikes_any_page  a word with two Greek letters or more made Greek on a page that is not
                       mostly Greek (before: only on Greek pages)
  capitals             Greek words in capitals without tonos or small letters (small-caps fonts)
  compound_hyphen      a hyphen at a line end before a capital kept ('safe' only)
OCR rules (--ocr: Tesseract, ell+eng, over the pages the pipeline would OCR, the corpus's
born-digital gazette FEK_A_10 rendered as a scan too; OCR once, the rules applied to its text):
  lookalikes, polytonic, capitals, latin_words, glued_words (backends/greek/repair.py)
The word split on text whose truth is known (always): every Greek token of the corpus's born-digital
text ('safe') through it (each split there is a split of a real word, or of half of one), and the
FEK_A_10 reference and the generated paragraphs with each function word run into the word after it
(or before it), as OCR of a tight column does: the share of those pairs split back.
A change is a word of the output with the rule on that is not there with it off (multisets of the
recall measure's words); examples are (off -> on) pairs of the words that differ, in order. Where
the document has a reference text (FEK_A_10), `recall` is the word recall with the rule on and off
(glossapi_dagster_tests/ocr_quality.py), `all_rules` with no repair at all as the "off".
"""
from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import glossapi_dagster.backends.extract.safe_lines as safe_lines  # noqa: E402
import glossapi_dagster.backends.extract.safe_pdf as safe_pdf  # noqa: E402
import glossapi_dagster.backends.greek.lookalikes as lookalikes  # noqa: E402
import glossapi_dagster.backends.greek.repair as repair  # noqa: E402

TEXT_RULES = ("lookalikes_any_page", "capitals", "compound_hyphen")
OCR_RULES = ("lookalikes", "polytonic", "capitals", "latin_words", "glued_words")
_WORDS = re.compile(r"\w+")


def _switch(rule: str, on: bool) -> None:
    """Turn one rule off (or back on) where the code calls it."""
    originals = _switch.originals
    if not originals:
        originals.update(fix_lookalikes=repair.fix_lookalikes, fix_capitals=repair.fix_capitals,
                         fold_polytonic=repair.fold_polytonic, fix_latin_words=repair.fix_latin_words,
                         split_glued=repair.split_glued, compound=safe_lines._compound_hyphen,
                         any_page=lookalikes._FIX[False])
    identity = {"lookalikes": ("fix_lookalikes", lambda text, greek=True: text),
                "capitals": ("fix_capitals", lambda text: text),
                "polytonic": ("fold_polytonic", lambda text, lexicon=None: text),
                "latin_words": ("fix_latin_words", lambda text, lexicon, greek_page=False: text),
                "glued_words": ("split_glued", lambda text, lexicon: text)}
    if rule in identity:
        name, off = identity[rule]
        setattr(repair, name, originals[name] if on else off)
    elif rule == "compound_hyphen":
        safe_lines._compound_hyphen = originals["compound"] if on else (lambda m: "")
    elif rule == "lookalikes_any_page":
        lookalikes._FIX[False] = originals["any_page"] if on else (lambda m: m.group(0))


_switch.originals = {}


def changes(off: str, on: str) -> dict:
    a, b = _WORDS.findall(off), _WORDS.findall(on)
    changed = sum((Counter(b) - Counter(a)).values())
    pairs = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal" and len(pairs) < 8:
            pairs.append(f"{' '.join(a[i1:i2])[:40]} -> {' '.join(b[j1:j2])[:40]}")
    return {"words": changed, "examples": pairs}


def text_layer(corpus: Path, docling: bool) -> dict:
    from glossapi_dagster.backends.extract.safe_pdf import SafePdfExtractor

    backends = {"safe": SafePdfExtractor()}
    if docling:
        from glossapi_dagster.backends.extract.docling_extractor import DoclingExtractor

        backends["docling"] = DoclingExtractor("native")
    out: dict = {}
    for name, backend in backends.items():
        for pdf in sorted((corpus / "pdfs").glob("*.pdf")):
            try:
                full = _markdown(backend.convert(pdf))
            except Exception:  # the corpus's broken files
                continue
            for rule in TEXT_RULES:
                if name == "docling" and rule == "compound_hyphen":
                    continue
                _switch(rule, False)
                try:
                    without = _markdown(backend.convert(pdf))
                finally:
                    _switch(rule, True)
                found = changes(without, full)
                if found["words"]:
                    out.setdefault(name, {}).setdefault(rule, {})[pdf.stem] = found
    return out


def _markdown(conv) -> str:
    return conv.markdown if conv.markdown is not None else conv.document.export_to_markdown()


def ocr(corpus: Path) -> dict:
    """The OCR'd pages' raw text, once, then the repairs with every rule on and each one off."""
    import tempfile

    from glossapi_dagster.backends.ocr import document
    from glossapi_dagster.backends.ocr.pages import pages_needing_ocr
    from glossapi_dagster.backends.ocr.tesseract import TesseractEngine
    from glossapi_dagster.backends.quality.triage import triage
    from glossapi_dagster_tests.ocr_fixtures import image_pdf

    engine, safe = TesseractEngine("ell+eng"), safe_pdf.SafePdfExtractor()
    captured: dict = {}
    real = document.repair_ocr_pages

    def capture(pages, polytonic=False, polytonic_pages=()):
        captured["args"] = (pages, polytonic, polytonic_pages)
        return pages, {}

    from glossapi_dagster_tests.ocr_quality import recall

    reference = (corpus / "groundtruth" / "FEK_A_10_-_24.01.2018.txt").read_text(encoding="utf-8")
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [(corpus / "pdfs" / "FEK_A_10_-_24.01.2018.pdf", "FEK_A_10 as a scan",
                 image_pdf(corpus / "pdfs" / "FEK_A_10_-_24.01.2018.pdf", [1, 2], Path(tmp) / "fek.pdf", dpi=300), None)]
        for pdf in sorted((corpus / "pdfs").glob("*.pdf")):
            try:
                conv = safe.convert(pdf)
            except Exception:
                continue
            data = conv.to_dict()
            signals = triage(conv.markdown, data, True, pdf_path=pdf, page_covers=conv.page_covers, repairs=conv.repairs)
            pages = pages_needing_ocr(data, signals, pdf_path=pdf)
            if pages:
                jobs.append((pdf, pdf.stem, pdf, set(pages)))
        for _, label, path, pages in jobs:
            document.repair_ocr_pages = capture
            try:
                document.ocr_pdf(engine, path, pages)
            finally:
                document.repair_ocr_pages = real
            raw_pages, polytonic, polytonic_pages = captured["args"]
            full, _ = real(raw_pages, polytonic, polytonic_pages)
            text = "\n".join(t for p in sorted(full) for t in full[p])
            raw = "\n".join(t for p in sorted(raw_pages) for t in raw_pages[p])
            out.setdefault("all_rules", {})[label] = changes(raw, text)
            truth = reference if label == "FEK_A_10 as a scan" else None
            if truth:
                out["all_rules"][label]["recall"] = [round(recall(truth, raw), 3), round(recall(truth, text), 3)]
            for rule in OCR_RULES:
                _switch(rule, False)
                try:
                    without, _ = real(raw_pages, polytonic, polytonic_pages)
                finally:
                    _switch(rule, True)
                off = "\n".join(t for p in sorted(without) for t in without[p])
                found = changes(off, text)
                if truth:
                    found["recall"] = [round(recall(truth, off), 3), round(recall(truth, text), 3)]
                if found["words"]:
                    out.setdefault(rule, {})[label] = found
    return out


def word_split(corpus: Path) -> dict:
    import unicodedata

    from glossapi_dagster.backends.greek.lexicon import greek_lexicon
    from glossapi_dagster.backends.greek.word_split import FUNCTION_WORDS, split_glued, split_word
    from glossapi_dagster_tests.greek_pdfs import GREEK_PARAGRAPHS

    lexicon, safe = greek_lexicon(), safe_pdf.SafePdfExtractor()
    tokens, splits = 0, Counter()
    for pdf in sorted((corpus / "pdfs").glob("*.pdf")):
        try:
            markdown = safe.convert(pdf).markdown
        except Exception:
            continue
        for token in re.findall("[\u0370-\u03ff]{3,}", markdown):
            tokens += 1
            parts = split_word(token, lexicon)
            if parts:
                splits[f"{token} -> {' '.join(parts)}"] += 1
    out = {"born_digital_tokens": tokens, "split": sum(splits.values()), "splits": dict(splits.most_common(20))}
    reference = (corpus / "groundtruth" / "FEK_A_10_-_24.01.2018.txt").read_text(encoding="utf-8")
    reference = unicodedata.normalize("NFC", re.sub(r"(\w)[-\u00ad]\s+(\w)", r"\1\2", reference)).replace("\u2206", "Δ")
    for name, text in (("FEK_A_10 reference", reference), ("generated paragraphs", "\n".join(GREEK_PARAGRAPHS))):
        words = text.split()
        for side in ("after", "before"):
            glued, pairs, i = [], [], 0
            while i < len(words):
                nxt = words[i + 1] if i + 1 < len(words) else ""
                function = words[i] if side == "after" else nxt
                if nxt and function.lower() in FUNCTION_WORDS and re.search("[\u0370-\u03ff]$", words[i]) \
                        and re.match("[\u0370-\u03ff]", nxt):
                    glued.append(words[i] + nxt)
                    pairs.append(f"{words[i]} {nxt}")
                    i += 2
                else:
                    glued.append(words[i])
                    i += 1
            fixed = split_glued(" ".join(glued), lexicon)
            back = sum(1 for pair in pairs if pair in fixed)
            out[f"{name}, function word glued to the word {side} it"] = {"pairs": len(pairs), "split_back": back,
                                                                           "share": round(back / max(1, len(pairs)), 3)}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "glossapi_dagster_tests" / "corpus")
    parser.add_argument("--docling", action="store_true")
    parser.add_argument("--ocr", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = {"word_split": word_split(args.corpus), "text_layer": text_layer(args.corpus, args.docling)}
    if args.ocr:
        result["ocr"] = ocr(args.corpus)
    text = json.dumps(result, ensure_ascii=False, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
