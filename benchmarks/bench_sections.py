"""section() and annotate() (issue 28): throughput and peak memory over the corpus and over a
generated corpus of 10^4 documents, and the structural labeller's labels against hand-checked ones.

    .venv/bin/python benchmarks/bench_sections.py [--docs 10000] [--work /tmp/bench_sections]

* The corpus: the bundled PDFs (glossapi_dagster_tests/corpus/pdfs and GLOSSAPI_TEST_CORPUS's,
  default ../shared/corpus) extracted once with the safe backend on the CPU into WORK/corpus
  (kept between runs). section() over its usable documents: sections/s and peak RSS.
* The generated corpus: N stems (--docs), each the markdown and Docling JSON of one of the
  corpus's documents in turn, hard-linked (so each document costs what a real one costs).
  section() over 1,000 and over N of them, with and without reading the Docling JSON for lost
  headings; then annotate() over the N documents' sections with the structural labeller and
  with GlossAPI's published model (where glossapi is installed). Each run in a fresh process:
  seconds, sections/s, and its peak RSS (VmHWM) beside the same process's peak after its
  imports, so that "memory flat over the corpus" reads as the same peak at 10^3 and 10^4.
* Labels: the structural labeller (and GlossAPI's model) on the bundled thesis (SampleThesis-GR)
  and lecture documents (GeoTopo-komprimiert's lecture notes, 4.5.chain_rule's slides) against
  benchmarks/section_truth.tsv, after full annotation: a confusion table. How the truth was
  decided, section by section, reading its heading and its text: GlossAPI's scheme, each label
  by what the section is in its document: `ε.σ.` the front matter (title pages, preface,
  dedication, acknowledgements, and what a thesis numbers in roman pages: glossary, abstracts;
  in the lecture notes, the pages before the contents: what topology is, prerequisites); `π` the
  contents and the lists of figures, tables, algorithms; `κ` the chapters (the exercises and
  their worked solutions included: text of the course); `β` the bibliography, and a list of
  the figures' sources (GeoTopo's Bildquellen); `α` what follows it (appendices, abbreviations,
  symbols, the index); the slides, with no front or back matter, are all `κ`.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
TRUTH = REPO / "benchmarks" / "section_truth.tsv"
LABELS = ["ε.σ.", "π", "κ", "β", "α", "άλλο"]

CHILD = r"""
import json, sys, time
sys.path.insert(0, {repo!r})
import pandas, pyarrow.parquet
from glossapi_dagster.sections.writer import section_corpus
from glossapi_dagster.sections.annotate import annotate_file, labeller_for
def hwm():  # this process's peak RSS in kB (ru_maxrss would carry the parent's across exec)
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1])
base = hwm()
job = json.loads(sys.argv[1])
t = time.perf_counter()
if job["kind"] == "section":
    stems = [l for l in open(job["stems"], encoding="utf-8").read().split("\n") if l]
    r = section_corpus(job["out"], stems, use_docling_headers=job["docling"], dest=job["dest"])
    n = r.sections
else:
    r = annotate_file(job["src"], job["dest"] + ".c", job["dest"] + ".f", labeller_for(None, job["classifier"], log=lambda s: None))
    n = r.sections
print(json.dumps({{"seconds": time.perf_counter() - t, "sections": n, "base_mb": base / 1024,
                  "peak_mb": hwm() / 1024}}))
"""


def run(job: dict) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD.format(repo=str(REPO)), json.dumps(job)], capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def extract_corpus(work: Path) -> Path:
    out = work / "corpus" / "out"
    if (out / "download_results").is_dir():
        return out
    pdfs = work / "corpus" / "in"
    pdfs.mkdir(parents=True, exist_ok=True)
    extra = next((p for p in (Path(os.environ.get("GLOSSAPI_TEST_CORPUS", "/nonexistent")), REPO.parent / "shared" /
                              "corpus", REPO.parents[1] / "shared" / "corpus") if p.is_dir()), Path("/nonexistent"))
    for folder in (REPO / "glossapi_dagster_tests" / "corpus" / "pdfs", extra / "pdfs"):
        for pdf in sorted(folder.glob("*.pdf")) if folder.is_dir() else []:
            if not (pdfs / pdf.name).exists():  # a copy: the scan does not follow links out of IN
                shutil.copy2(pdf, pdfs / pdf.name)
    from glossapi_dagster import Corpus

    Corpus(pdfs, out, progress=False).extract(phase1_backend="safe", accel_type="cpu", devices=[0])
    return out


def usable(out: Path) -> list[str]:
    from glossapi_dagster.export.records import select_usable
    from glossapi_dagster.export.verify import DECIDES
    from glossapi_dagster.state import OutputLayout, ProgressStore

    rows, _ = select_usable(ProgressStore(OutputLayout(out).store_dir).read(DECIDES))
    return [s for s in rows.index if OutputLayout(out).markdown(s).is_file()]


def generated(out: Path, stems: list[str], n: int, work: Path) -> Path:
    from glossapi_dagster.state import OutputLayout

    gen = work / f"generated-{n}"
    src, dst = OutputLayout(out), OutputLayout(gen)
    if not (gen / "markdown").is_dir() or len(list((gen / "markdown").iterdir())) != n:
        for sub in ("markdown", "json"):
            (gen / sub).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            stem = stems[i % len(stems)]
            name = f"doc{i:06d}"
            for a, b in ((src.markdown(stem), dst.markdown(name)), (src.docling_json(stem), dst.docling_json(name))):
                if a.is_file() and not b.exists():
                    os.link(a, b)
    (work / f"stems-{n}.txt").write_text("\n".join(f"doc{i:06d}" for i in range(n)), encoding="utf-8")
    return gen


def confusion(out: Path, work: Path) -> None:
    import pandas as pd

    from glossapi_dagster.sections.annotate import annotate_file, labeller_for
    from glossapi_dagster.sections.writer import section_corpus

    from glossapi_dagster.state import OutputLayout

    truth = pd.read_csv(TRUTH, sep="\t", comment="#")
    # labelling is measured, not selection: a document clean would hold back (a scanned page) counts too
    docs = sorted(s for s in set(truth["filename"]) if OutputLayout(out).markdown(s).is_file())
    report = section_corpus(out, docs, dest=work / "truth_sections.parquet")
    for classifier in ("structural", "model"):
        try:
            labeller = labeller_for(None, classifier, log=lambda s: None)
        except Exception as exc:  # GlossAPI's model not installed
            print(f"\n{classifier}: {exc}")
            continue
        annotate_file(report.path, work / "c.parquet", work / "f.parquet", labeller)
        got = pd.read_parquet(work / "f.parquet")
        got["position"] = got.groupby("filename").cumcount()
        merged = truth[truth["filename"].isin(docs)].merge(got, on=["filename", "position"], suffixes=("", "_got"))
        drift = merged[merged["header"] != merged["header_got"]]
        if len(drift):
            print(f"warning: {len(drift)} sections' headers differ from the truth file (extraction changed)")
        table = Counter(zip(merged["label"], merged["predicted_section"]))
        agree = sum(n for (t, p), n in table.items() if t == p)
        print(f"\n{classifier} ({labeller.name.split(':')[0]}): {agree}/{len(merged)} sections agree "
              f"({agree / max(1, len(merged)):.0%}); rows: truth, columns: label given")
        print("| truth \\ given | " + " | ".join(LABELS) + " |")
        print("|---" * (len(LABELS) + 1) + "|")
        for t in LABELS[:-1]:
            print(f"| {t} | " + " | ".join(str(table.get((t, p), 0) or "") for p in LABELS) + " |")
        given = {p: sum(n for (_, q), n in table.items() if q == p) for p in LABELS}
        print("| right / given | " + " | ".join(f"{table.get((p, p), 0)}/{given[p]}" if given[p] else ""
                                             for p in LABELS) + " |")
        for doc in docs:
            part = merged[merged["filename"] == doc]
            wrong = part[part["label"] != part["predicted_section"]]
            print(f"  {doc}: {len(part) - len(wrong)}/{len(part)}; wrong: "
                  + ", ".join(f"{h[:30]} ({t}->{p})" for h, t, p in zip(wrong["header"], wrong["label"],
                                                                    wrong["predicted_section"])))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--docs", type=int, default=10_000)
    p.add_argument("--work", type=Path, default=Path("/tmp/bench_sections"))
    args = p.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"load average {os.getloadavg()}, {os.cpu_count()} CPUs")
    started = time.perf_counter()
    out = extract_corpus(args.work)
    stems = usable(out)
    (args.work / "stems-corpus.txt").write_text("\n".join(stems), encoding="utf-8")
    print(f"corpus: {len(stems)} usable documents extracted ({time.perf_counter() - started:.0f}s)")
    print("| corpus | Docling JSON read | documents | sections | seconds | sections/s | RSS after imports MB | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    runs = [("corpus", out, args.work / "stems-corpus.txt", len(stems))]
    for n in sorted({1000, args.docs}):
        runs.append((f"generated {n}", generated(out, stems, n, args.work), args.work / f"stems-{n}.txt", n))
    for name, folder, stem_file, n in runs:
        for docling in (True, False):
            r = run({"kind": "section", "out": str(folder), "stems": str(stem_file), "docling": docling,
                     "dest": str(args.work / f"{name.replace(' ', '-')}-{docling}.parquet")})
            print(f"| {name} | {'yes' if docling else 'no'} | {n} | {r['sections']} | {r['seconds']:.2f} | "
                  f"{r['sections'] / r['seconds']:.0f} | {r['base_mb']:.0f} | {r['peak_mb']:.0f} |")
    print("\n| annotate | documents | sections | seconds | sections/s | RSS after imports MB | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for classifier in ("structural", "model"):
        for n in sorted({1000, args.docs}):
            try:
                r = run({"kind": "annotate", "src": str(args.work / f"generated-{n}-True.parquet"),
                         "dest": str(args.work / f"annot-{classifier}-{n}"), "classifier": classifier})
            except subprocess.CalledProcessError as exc:
                print(f"| {classifier} | failed: {exc.stderr.strip().splitlines()[-1]} |")
                break
            print(f"| {classifier} | {n} | {r['sections']} | {r['seconds']:.2f} | {r['sections'] / r['seconds']:.0f} | "
                  f"{r['base_mb']:.0f} | {r['peak_mb']:.0f} |")
    confusion(out, args.work)
    print(f"\nload average {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
