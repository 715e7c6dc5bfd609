"""Paragraph boundaries where nothing but the lines' ends and starts show them: how many a backend
finds, misses and invents, on generated documents of known paragraphs (a quality figure, beside
word recall and Greek share; backends/paragraph_starts.py).

    .venv/bin/python benchmarks/bench_paragraphs.py [--paragraphs 40] [--seed 7]

Each document is the same paragraphs (2-5 sentences drawn from the test's Greek and mixed
Greek-English paragraphs) set in 10 pt lines 12 pt apart, with no space between paragraphs, in
four ways: ragged right with no indent (only a paragraph's short last line tells), ragged right
with a first-line indent, two columns, and a first-line indent at double spacing (lines 20 pt
apart, as theses are set); every fifth paragraph is an `α)` item. A boundary the output has that
the truth has not is "invented"; the paragraphs that go on across a column and across a page are
counted beside (each would be an invented boundary if not joined). The markdown is each route's:
the safe backend's, and Docling's export with its paragraphs joined over page breaks
(page_joins.markdown_of), as the extract phase writes it."""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from glossapi_dagster_tests.greek_pdfs import GREEK_PARAGRAPHS, MIXED_PARAGRAPHS, _wrap_width, _Writer  # noqa: E402


def _paragraphs(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    sentences = [s.strip() + "." for p in GREEK_PARAGRAPHS[1:] + MIXED_PARAGRAPHS
                 for s in p.replace(":", ".").split(".") if len(s.strip()) > 20]
    out = []
    for i in range(count):
        text = " ".join(rng.sample(sentences, rng.randint(2, 5)))
        out.append(f"{'αβγδεζηθ'[i % 8]}) {text}" if i % 5 == 3 else text)  # every fifth an item
    return out


def _document(path: Path, paragraphs: list[str], indent: float, columns: int, pitch: float = 12) -> dict[str, int]:
    """The PDF; returns how many paragraphs go on across a column and across a page."""
    writer = _Writer()
    width = 380.0 if columns == 1 else 240.0
    lefts = [80.0] if columns == 1 else [40.0, 310.0]
    column, y, page = 0, 0.0, False
    breaks = {"column": 0, "page": 0}
    for text in paragraphs:
        for k, line in enumerate(_wrap_width(text, width - indent, 10)):
            if not page or y < 60:
                kind = "column" if page and column + 1 < len(lefts) else "page"
                if kind == "column":
                    column += 1
                else:
                    writer.new_page()
                    column, page = 0, True
                y = 780.0
                breaks[kind] += k > 0  # the paragraph goes on past the break
            writer.text(line, lefts[column] + (indent if k == 0 else 0), y, 10)
            y -= pitch
    writer.save(path)
    return breaks


def _score(truth: list[str], got: list[str]) -> tuple[int, int, int]:
    """(boundaries found, missed, invented)."""
    joined = " ¶ ".join(truth)
    found = invented = 0
    for a, b in zip(got, got[1:]):
        if f"{a[-40:]} ¶ {b[:40]}" in joined:
            found += 1
        else:
            invented += 1
    return found, len(truth) - 1 - found, invented


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paragraphs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    from glossapi_dagster.backends.extract.docling_extractor import DoclingExtractor
    from glossapi_dagster.backends.extract.safe_pdf import SafePdfExtractor
    try:
        from glossapi_dagster.backends.page_joins import markdown_of
    except ImportError:  # a tree from before the page-break join (run as --before): Docling's export
        def markdown_of(doc):
            return doc.export_to_markdown()

    truth = _paragraphs(args.paragraphs, args.seed)
    backends = {"safe": lambda p: SafePdfExtractor().convert(p).markdown,
                "docling-native": lambda p: markdown_of(DoclingExtractor("native").convert(p).document)}
    print(f"{'layout':26} {'backend':15} {'true':>5} {'found':>6} {'missed':>7} {'invented':>9}"
          f" {'went on across a column':>24} {'a page':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, indent, columns, pitch in (("ragged, no indent", 0, 1, 12), ("ragged, first-line indent", 15, 1, 12),
                                             ("two columns", 0, 2, 12), ("double-spaced, indent", 15, 1, 20)):
            path = Path(tmp) / f"{name}.pdf"
            breaks = _document(path, truth, indent, columns, pitch)
            for backend, convert in backends.items():
                got = [" ".join(p.split()) for p in convert(path).strip().split("\n\n") if p.strip()]
                found, missed, invented = _score(truth, got)
                print(f"{name:26} {backend:15} {len(truth) - 1:5} {found:6} {missed:7} {invented:9}"
                      f" {breaks['column']:24} {breaks['page']:7}")


if __name__ == "__main__":
    main()
