"""Text fidelity per reference and per Greek document, and 'safe' speed, for one source tree (issue 15).

    PYTHONPATH=TREE .venv/bin/python benchmarks/bench_quality.py [--corpus DIR] [--repeats 3] [--json OUT]

Run it once with PYTHONPATH at the tree before a change and once at the tree after it, one right
after the other (scripts in BENCHMARKS.md): the figures of both come from the same machine state.

  recall     word recall against each groundtruth file (tests' measure: lowercase \\w+ words, a
             word split by a line-end hyphen counted whole) for raw pypdfium2 (get_text_range per
             page), 'safe' and Docling native (this tree's DoclingExtractor, its repairs included)
  plain      the same with markdown's backslash escapes (TAX\\_ID) and HTML comments (<!-- image -->)
             left out of reference and output alike: Docling's markdown writes both, 'safe' neither
  greek      Greek letters / letters of the markdown (HTML comments left out), per Greek document,
             'safe' and Docling native
  furniture  body lines that are a running header or footer: markdown lines whose text (digits
             made one) occurs on at least half the pages in the raw text's first or last 2 lines
  speed      'safe' pages/s over the corpus, one process, median of --repeats passes (wall clock,
             and pages per CPU second of the process)
  corpus     every PDF of the corpus through 'safe': its words (the recall measure's, as counts)
             and Greek share; with --before OLD.json (the same run on the tree before a change),
             per document the words lost (the multiset of words before less the one after)

    --safe-only      no Docling native (for the tree before a change to 'safe' alone: its Docling
                     figures are the same code's)

    --against TREE   the speed of TREE's 'safe' (a checkout of the commit before a change) beside
                     this tree's, in this one process, pass for pass alternated: a shared
                     machine's load then falls on both alike (separate processes one after the
                     other saw 0.86x-1.15x for one and the same code on a loaded machine)
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REFERENCES = {"FEK_A_10_-_24.01.2018": "FEK_A_10_-_24.01.2018.txt", "2305.03393v1-pg9": "2305.03393v1-pg9.md",
              "code_and_formula": "code_and_formula.md", "redp5110_sampled": "redp5110_sampled.md",
              "amt_handbook_sample": "amt_handbook_sample.md"}
GREEK_DOCS = ("SampleThesis-GR", "FEK_A_10_-_24.01.2018", "FEK_A_5_-_17.01.2018", "FEK_A_79_-_30.04.2018",
              "4.5.chain_rule", "typologio_mas026", "mas002_midterm1_19")
FURNITURE_DOCS = ("FEK_A_5_-_17.01.2018", "FEK_A_79_-_30.04.2018", "4.5.chain_rule", "SampleThesis-GR",
                  "mas002_midterm1_19")


def words(text: str) -> Counter:
    """The recall measure's words: lowercase \\w+, a word split by a line-end hyphen whole."""
    return Counter(re.findall(r"\w+", re.sub(r"(\w)[-\u00ad]\s+(\w)", r"\1\2", text).lower()))


def recall(reference: str, text: str) -> float:
    ref, got = words(reference), words(text)
    return sum((ref & got).values()) / max(1, sum(ref.values()))


def corpus_words(safe, corpus: Path) -> dict:
    """Every PDF of the corpus through 'safe': its words and Greek share (or why it was refused)."""
    out = {}
    for pdf in sorted((corpus / "pdfs").glob("*.pdf")):
        try:
            markdown = safe.convert(pdf).markdown
        except Exception as exc:  # the corpus's broken files
            out[pdf.stem] = {"refused": str(exc)[:100]}
            continue
        out[pdf.stem] = {"words": dict(words(markdown)), "greek": greek_share(markdown)}
    return out


def lost_words(before: dict, after: dict) -> dict:
    """Per document of both runs: words before and after, those lost (and the most lost), Greek share."""
    out = {}
    for stem in sorted(set(before) & set(after)):
        old, new = Counter(before[stem].get("words", {})), Counter(after[stem].get("words", {}))
        lost = old - new
        out[stem] = {"words_before": sum(old.values()), "words_after": sum(new.values()),
                     "lost": sum(lost.values()), "most_lost": dict(lost.most_common(6)),
                     "greek_before": before[stem].get("greek"), "greek_after": after[stem].get("greek")}
    return out


_TWINS = str.maketrans("ABEHIKMNOPTXYZ\u2206\u00b5", "ΑΒΕΗΙΚΜΝΟΡΤΧΥΖΔμ")
_GREEK_WORD = re.compile(r"\w*[\u0370-\u03ff\u1f00-\u1fff]\w*|\u2206\w*")


def plain(text: str) -> str:
    """Markdown escapes and HTML comments out, lookalikes in Greek words as Greek (the FEK
    reference keeps U+2206 and Latin T in ΤΗΣ): the words a reader sees, in every text alike."""
    text = re.sub(r"\\([_*#\[\]()`\\])", r"\1", re.sub(r"<!--.*?-->", " ", text, flags=re.S))
    return _GREEK_WORD.sub(lambda m: m.group(0).translate(_TWINS), text)


def greek_share(text: str) -> float:
    """Greek letters / letters, HTML comments left out as triage leaves them out (Docling's and
    'safe''s `<!-- image -->` would count 5 Latin letters a picture)."""
    letters = re.findall(r"[^\W\d_]", re.sub(r"<!--.*?-->", " ", text, flags=re.S))
    return sum(1 for c in letters if "\u0370" <= c <= "\u03ff" or "\u1f00" <= c <= "\u1fff") / max(1, len(letters))


def raw_pages(pdf_path: Path) -> list[str]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


def _words(text: str) -> frozenset:
    return frozenset(re.sub(r"\d+", "#", plain(text)).lower().replace("'", "’").split())


def furniture_lines(markdown: str, pages: list[str]) -> int:
    """Markdown blocks that are (part of) a running header or footer: the raw text's first or last
    3 lines of a page that recur, digits made one, on half the pages; a block counts when its
    words (two or more, one of 3+ letters) are all words of one such line (Docling splits a header
    into cells: `ΕΦΗΜΕΡΙΔΑ ΤΗΣ ΚΥΒΕΡΝΗΣΕΩΣ`, `Τεύχος Α’ 5/17.01.2018`)."""
    seen: Counter = Counter()
    for page in pages:
        lines = [ln.strip() for ln in page.splitlines() if ln.strip()]
        seen.update({_words(ln) for ln in lines[:3] + lines[-3:]})
    running = [k for k, n in seen.items() if n >= max(3, len(pages) / 2) and len(k) >= 2  # not a slide title
               and any(re.search(r"[^\W\d_]{3}", w) for w in k)]
    count = 0
    for block in markdown.split("\n\n"):
        block = block.strip().lstrip("#").strip()
        words = _words(block)
        if len(words) >= 2 and len(block) < 250 and any(re.search(r"[^\W\d_]{3}", w) for w in words) and any(
                words <= k for k in running):
            count += 1
    return count


def speed(safe, corpus: Path, repeats: int) -> dict:
    """'safe' over every PDF of the corpus, one process: pages/s of each pass."""
    pdfs = sorted((corpus / "pdfs").glob("*.pdf"))
    passes = [_pass(safe, pdfs) for _ in range(repeats)]
    rates, cpu_rates, pages = [p[0] for p in passes], [p[1] for p in passes], passes[-1][2] if passes else 0
    # pages per CPU second: what a shared machine's other load disturbs least
    return {"median": statistics.median(rates), "best": max(rates), "all": rates, "pages": pages,
            "cpu_median": statistics.median(cpu_rates), "cpu_all": cpu_rates}


def _pass(safe, pdfs: list[Path]) -> tuple[float, float, int]:
    """One pass over the PDFs: (pages per wall second, pages per CPU second of this process, pages)."""
    pages, started, cpu_started = 0, time.perf_counter(), time.process_time()
    for pdf in pdfs:
        try:
            pages += safe.convert(pdf).page_count
        except Exception:  # the corpus's broken files: refused, as in production
            pass
    return pages / (time.perf_counter() - started), pages / (time.process_time() - cpu_started), pages


def baseline_safe(tree: Path):
    """TREE's safe backend, loaded beside this tree's under another package name (its backends
    import each other relatively, so the copy uses only its own modules)."""
    home = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    shutil.copytree(tree / "glossapi_dagster", home / "glossapi_baseline")
    sys.path.insert(0, str(home))
    layout = "extract." if (tree / "glossapi_dagster" / "backends" / "extract").is_dir() else ""  # before the split
    return importlib.import_module(f"glossapi_baseline.backends.{layout}safe_pdf").SafePdfExtractor()


def speed_against(safe, baseline, corpus: Path, repeats: int) -> dict:
    """Both backends over the corpus, passes alternated (baseline first on even rounds, this
    tree's first on odd ones), after one warm-up pass each."""
    pdfs = sorted((corpus / "pdfs").glob("*.pdf"))
    _pass(baseline, pdfs), _pass(safe, pdfs)
    runs: dict[str, list] = {"baseline": [], "this": []}
    for i in range(repeats):
        for name in (("baseline", "this") if i % 2 == 0 else ("this", "baseline")):
            runs[name].append(_pass(baseline if name == "baseline" else safe, pdfs))
    out = {}
    for name, rates in runs.items():
        out[name] = {"wall_median": statistics.median(r[0] for r in rates),
                     "cpu_median": statistics.median(r[1] for r in rates), "cpu_all": [r[1] for r in rates]}
    # cost per page of this tree over the baseline's: each round's pair, then their median
    out["cpu_cost_ratio_median"] = statistics.median(b[1] / t[1] for b, t in zip(runs["baseline"], runs["this"]))
    out["cpu_cost_ratio_of_medians"] = out["baseline"]["cpu_median"] / out["this"]["cpu_median"]
    out["load_average"] = os.getloadavg()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default=os.environ.get("GLOSSAPI_TEST_CORPUS") or str(
        Path(__file__).resolve().parents[2] / "shared" / "corpus"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json")
    parser.add_argument("--speed-only", action="store_true", help="only the pages/s pass")
    parser.add_argument("--against", help="a source tree whose 'safe' speed to measure beside this one's")
    parser.add_argument("--safe-only", action="store_true", help="leave Docling native out")
    parser.add_argument("--before", help="a --json of this script on the tree before a change: words lost")
    args = parser.parse_args()
    corpus = Path(args.corpus)
    if not list((corpus / "pdfs").glob("*.pdf")):
        sys.exit(f"no PDFs in {corpus}/pdfs: pass --corpus or set GLOSSAPI_TEST_CORPUS")
    from glossapi_dagster.backends.extract.docling_extractor import DoclingExtractor
    from glossapi_dagster.backends.extract.safe_pdf import SafePdfExtractor

    safe = SafePdfExtractor()
    if args.against:
        print(json.dumps(speed_against(safe, baseline_safe(Path(args.against)), corpus, args.repeats), indent=1))
        return
    if args.speed_only:
        print(json.dumps({"safe_pages_per_s": speed(safe, corpus, args.repeats)}))
        return
    stems = sorted(set(REFERENCES) | set(GREEK_DOCS) | set(FURNITURE_DOCS))
    safe_md = {s: safe.convert(corpus / "pdfs" / f"{s}.pdf").markdown for s in stems}
    if args.safe_only:
        native_md = dict.fromkeys(stems, "")
    else:
        native = DoclingExtractor("native", threads=1)
        native_md = {s: native.convert(corpus / "pdfs" / f"{s}.pdf").document.export_to_markdown() for s in stems}
    raw = {s: raw_pages(corpus / "pdfs" / f"{s}.pdf") for s in stems}
    out = {"recall": {}, "plain": {}, "greek": {}, "furniture": {}}
    for stem, ref_name in REFERENCES.items():
        ref = (corpus / "groundtruth" / ref_name).read_text(encoding="utf-8")
        out["recall"][stem] = {"pypdfium2": recall(ref, "\n".join(raw[stem])), "safe": recall(ref, safe_md[stem]),
                               "docling_native": recall(ref, native_md[stem])}
        out["plain"][stem] = {"pypdfium2": recall(plain(ref), "\n".join(raw[stem])),
                              "safe": recall(plain(ref), plain(safe_md[stem])),
                              "docling_native": recall(plain(ref), plain(native_md[stem]))}
    for stem in GREEK_DOCS:
        out["greek"][stem] = {"pypdfium2": greek_share("\n".join(raw[stem])), "safe": greek_share(safe_md[stem]),
                              "docling_native": greek_share(native_md[stem])}
    for stem in FURNITURE_DOCS:
        out["furniture"][stem] = {"pages": len(raw[stem]), "safe": furniture_lines(safe_md[stem], raw[stem]),
                                  "docling_native": furniture_lines(native_md[stem], raw[stem])}
    if args.safe_only:
        for table in ("recall", "plain", "greek", "furniture"):
            for row in out[table].values():
                row.pop("docling_native")
    out["corpus"] = corpus_words(safe, corpus)
    if args.before:
        out["lost"] = lost_words(json.loads(Path(args.before).read_text(encoding="utf-8"))["corpus"], out["corpus"])
    out["safe_pages_per_s"] = speed(safe, corpus, args.repeats)
    text = json.dumps(out, indent=1, ensure_ascii=False)
    if args.json:
        Path(args.json).write_text(text, encoding="utf-8")
    print(json.dumps({k: v for k, v in out.items() if k != "corpus"}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
