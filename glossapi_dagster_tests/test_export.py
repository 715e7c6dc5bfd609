"""The training export: GlossAPI's clean / jsonl_sharded snippet over real PDFs, parquet shards
loaded by `datasets`, duplicates exported once, the asset checks, incremental rebuilds, flat memory."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import zstandard as zstd

from glossapi_dagster.state import OutputLayout, ProgressStore

from .conftest import BIN, REPO, available, copy_pdfs, temp_instance

# the document exported once though it comes three times: the Greek thesis where GLOSSAPI_TEST_CORPUS
# has it (not redistributable), else an 18-page English report
THESIS = "SampleThesis-GR" if available("SampleThesis-GR.pdf") else "redp5110_sampled"
SMALL = [f"{THESIS}.pdf", "FEK_A_10_-_24.01.2018.pdf", "typologio_mas026.pdf", "multicolumn.pdf",
         "test_ocr.pdf", "empty.pdf", "MAS029-LECTURE1-7.9.2020_nc.pdf"]
COPY = f"{THESIS}-copy"          # the same file under another name: an exact duplicate
EDITION = f"{THESIS}-edition2"   # the thesis less its last page: a near duplicate
SHARD = 40_000


def _edition(src: Path, dst: Path) -> None:
    import pypdfium2 as pdfium

    pdf, new = pdfium.PdfDocument(str(src)), pdfium.PdfDocument.new()
    new.import_pages(pdf, list(range(len(pdf) - 1)))
    new.save(str(dst))
    new.close()
    pdf.close()


@pytest.fixture(scope="module")
def extracted(tmp_path_factory, corpus):
    """OUT after GlossAPI's extract over a few small PDFs, one copied under a second name and one
    in a second edition a page shorter (a real instance, real CPU workers)."""
    root = tmp_path_factory.mktemp("export")
    IN = copy_pdfs(corpus / "pdfs", root / "IN", SMALL)
    (IN / f"{COPY}.pdf").write_bytes((IN / f"{THESIS}.pdf").read_bytes())
    _edition(IN / f"{THESIS}.pdf", IN / f"{EDITION}.pdf")
    with temp_instance(root):
        from glossapi_dagster import Corpus

        Corpus(IN, root / "OUT", progress=False).extract(input_format="pdf", devices=[0], accel_type="cpu")
    return root


def _fresh_out(extracted: Path, tmp_path: Path) -> Path:
    """A copy of the extracted OUT a test may change (clean writes to the store)."""
    import shutil

    shutil.copytree(extracted / "OUT", tmp_path / "OUT")
    return tmp_path / "OUT"


def _records(paths) -> list[tuple[Path, list[dict], int]]:
    out = []
    for path in paths:
        raw = zstd.ZstdDecompressor().stream_reader(open(path, "rb")).read()
        out.append((Path(path), [json.loads(line) for line in io.StringIO(raw.decode("utf-8")) if line.strip()],
                    len(raw)))
    return out


def test_glossapi_export_snippet(extracted, tmp_path, dagster_home, monkeypatch):
    OUT = _fresh_out(extracted, tmp_path)
    monkeypatch.chdir(tmp_path)

    from glossapi_dagster import Corpus
    c = Corpus('OUT', 'OUT')
    c.clean()
    shards = c.jsonl_sharded('export/', shard_size_bytes=SHARD)

    store = {r["stem"]: r for r in ProgressStore(OutputLayout(OUT).store_dir).read().to_dict("records")}
    assert [p.name for p in shards] == [f"train-{i:06d}.jsonl.zst" for i in range(len(shards))]
    assert all(p.parent == tmp_path / "export" for p in shards)
    read = _records(shards)
    for path, records, raw_bytes in read:  # shard sizes respected (uncompressed, as GlossAPI counts)
        assert records and (raw_bytes <= SHARD or len(records) == 1), (path.name, raw_bytes)
    assert len(shards) >= 2
    records = [r for _, rs, _ in read for r in rs]
    names = [r["filename"] for r in records]
    assert len(names) == len(set(names))
    # the thesis once, as its longest version, listing the others; the store says duplicate_of
    thesis = [r for r in records if r["filename"] in (THESIS, COPY, EDITION)]
    assert len(thesis) == 1, [r["filename"] for r in thesis]
    kept = thesis[0]["filename"]
    assert sorted(thesis[0]["duplicates"]) == sorted({THESIS, COPY, EDITION} - {kept})
    for other in {THESIS, COPY, EDITION} - {kept}:
        assert store[other]["duplicate_of"] == kept
    assert kept in (THESIS, COPY)  # the full thesis, not the edition a page short
    # flagged and failed documents absent; every other success present
    assert store["test_ocr"]["needs_ocr"] and not store["test_ocr"]["clean_keep"]
    assert store["empty"]["extract_status"] == "problematic"
    flagged = {s for s, r in store.items() if r["extract_status"] == "success" and not r["clean_keep"]}
    assert "test_ocr" in flagged and not flagged & set(names)
    usable = {s for s, r in store.items() if r["extract_status"] == "success" and r["clean_keep"]}
    assert set(names) == usable - ({THESIS, COPY, EDITION} - {kept})
    assert set(c.good_files) == usable
    # GlossAPI's record: the text under `document`, doc_id, chunk_id, the store columns beside it
    layout = OutputLayout(OUT)
    for r in records:
        assert r["document"] == layout.markdown(r["stem"]).read_text(encoding="utf-8")
        assert r["chunk_id"] == 0 and len(r["doc_id"]) == 64 and r["filetype"] == "pdf"
        assert r["filter"] == store[r["stem"]]["filter"] and r["page_count"] == store[r["stem"]]["page_count"]
        assert "updated_at" not in r
    fek = next(r for r in records if r["filename"].startswith("FEK_A_10"))
    assert "ΝΟΜΟΣ" in fek["document"] or "ΠΡΟΕΔΡΙΚΟ" in fek["document"] or "ΕΦΗΜΕΡΙΣ" in fek["document"]

    # the same export again rewrites nothing; a changed document rewrites its shard only
    # (no markdown read again: the index remembers each text's mtime, size and measures)
    again = c.jsonl_sharded('export/', shard_size_bytes=SHARD)
    assert again == shards and c.last_export["shards_written"] == 0
    assert c.last_export["shards_unchanged"] == len(shards)
    assert c.last_export["texts_read"] == 0 and c.last_export["texts_unchanged_not_read"] == len(usable)
    stamps = {p.name: p.stat().st_mtime_ns for p in shards}
    md = layout.markdown(fek["stem"])
    md.write_text(md.read_text(encoding="utf-8") + "\n\nΠροσθήκη.\n", encoding="utf-8")
    c.jsonl_sharded('export/', shard_size_bytes=SHARD)
    assert c.last_export["shards_written"] == 1 and c.last_export["texts_read"] == 1
    fek_shard = next(p for p, rs, _ in read if any(r["stem"] == fek["stem"] for r in rs))
    assert [p.name for p in shards if p.stat().st_mtime_ns != stamps[p.name]] == [fek_shard.name]
    assert c.last_export["records_written"] == len(next(rs for p, rs, _ in read if p == fek_shard))
    changed = [r for _, rs, _ in _records(shards) for r in rs if r["stem"] == fek["stem"]]
    assert changed[0]["document"].endswith("Προσθήκη.\n")

    # drop_bad=False: the flagged documents are exported too
    c.clean(drop_bad=False)
    one = c.jsonl('all.jsonl')
    lines = [json.loads(line) for line in one.read_text(encoding="utf-8").splitlines()]
    assert flagged and flagged <= {r["filename"] for r in lines}


def test_dedup_groups_and_threshold():
    """Exact copies (whitespace, NFC and page-number lines aside), near copies at the threshold
    chosen, distinct texts apart; a stricter threshold leaves a J~0.9 pair apart."""
    import random
    import unicodedata

    from glossapi_dagster.export.dedup import Deduplicator

    rnd = random.Random(7)
    vocab = ["".join(rnd.choice("αβγδεζηθικλμνξοπρστυφχψω") for _ in range(rnd.randint(3, 9))) for _ in range(3000)]
    paras = [[" ".join(rnd.choice(vocab) for _ in range(25)) for _ in range(10)] for _ in range(3)]
    docs = {
        "a": "\n\n".join(paras[0]),
        "b": unicodedata.normalize("NFD", "\n\n12\n\n".join(paras[0])) + "   \n",  # page numbers, NFD, spaces
        "c": "\n\n".join(paras[0][:9]),                                           # an edition a paragraph short
        "d": "\n\n".join(paras[1]),
        "e": "\n\n".join(paras[2]),
    }
    d = Deduplicator()
    for stem in sorted(docs):
        d.add(stem, docs[stem])
    found = d.resolve()
    assert found.duplicates == {"a": ["b", "c"]} and found.exact == 1 and found.near == 1
    strict = Deduplicator(threshold=0.97)
    for stem in sorted(docs):
        strict.add(stem, docs[stem])
    assert strict.resolve().duplicate_of == {"b": "a"}
    with pytest.raises(ValueError, match="threshold"):
        Deduplicator(threshold=0)


def test_parquet_shards_load_with_datasets_and_checks_catch_a_deleted_shard(extracted, tmp_path, dagster_home):
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq
    from dagster import DagsterInstance

    from glossapi_dagster import Corpus
    from glossapi_dagster.runs import run_export_checks
    from glossapi_dagster.defs.resources import CorpusResource
    from glossapi_dagster.export.card import read_card

    OUT = _fresh_out(extracted, tmp_path)
    c = Corpus(OUT, OUT, progress=False)
    c.clean()
    dest = tmp_path / "hf"
    files = c.parquet_sharded(dest, shard_size_bytes=SHARD)
    n = len(files)
    assert n >= 2 and [f.name for f in files] == [f"train-{i:05d}-of-{n:05d}.parquet" for i in range(n)]
    ds = datasets.load_dataset("parquet", data_dir=str(dest), split="train")
    table = pa.concat_tables([pq.read_table(f) for f in files])
    assert ds.num_rows == table.num_rows == c.last_export["records"]
    assert {"text", "filename", "stem", "sha256", "page_count", "percentage_greek", "filter",
            "extraction_backend", "ocr_pages", "formula_total", "path", "duplicates"} <= set(ds.column_names)
    assert str(table.schema.field("page_count").type) == "int64"
    layout = OutputLayout(OUT)
    for row in ds:
        assert row["text"] == layout.markdown(row["stem"]).read_text(encoding="utf-8")
    header, listed = read_card((dest / "README.md").read_text(encoding="utf-8"))
    assert datasets.Features._from_yaml_list(header["dataset_info"]["features"]) == ds.features
    assert header["dataset_info"]["splits"][0]["num_examples"] == ds.num_rows
    assert sorted(s["file"] for s in listed) == [f.name for f in files]
    assert header["configs"][0]["data_files"][0]["path"] == "train-*.parquet"

    resources = {"corpus": CorpusResource(input_dir=str(OUT), output_dir=str(OUT))}
    with DagsterInstance.get() as instance:
        ok = run_export_checks(instance, resources)
        assert all(e.passed for e in ok.get_asset_check_evaluations()), ok.get_asset_check_evaluations()
        files[0].unlink()
        bad = run_export_checks(instance, resources)
    failed = {e.check_name for e in bad.get_asset_check_evaluations() if not e.passed}
    assert failed == {"every_usable_document_exported_once", "dataset_card_matches_shards"}


def test_clean_parameters(extracted, tmp_path, dagster_home):
    from glossapi_dagster import Corpus

    OUT = _fresh_out(extracted, tmp_path)
    c = Corpus(OUT, OUT, progress=False)
    with pytest.raises(ValueError, match="input_dir"):
        c.clean(input_dir=tmp_path)
    with pytest.raises(ValueError, match="source_metadata"):
        c.jsonl(tmp_path / "x.jsonl", source_metadata_key="src")
    c.clean(num_threads=4, write_cleaned_files=False, force_ocr_fallback=True)  # GlossAPI's no-ops
    store = ProgressStore(OutputLayout(OUT).store_dir)
    before = {r["stem"]: r["filter"] for r in store.read(["filter"]).to_dict("records")}
    c.clean(empty_char_threshold=10**9)  # every PDF "nearly empty": flagged for OCR, out of the export
    after = store.read(["filter", "clean_keep", "extract_status"]).to_dict("records")
    done = [r for r in after if r["extract_status"] == "success"]
    assert done and all(f"empty_text<{10**9}" in r["filter"] for r in done)
    assert not any(r["clean_keep"] for r in done) and c.good_files == []
    c.clean()
    assert {r["stem"]: r["filter"] for r in store.read(["filter"]).to_dict("records")} == before


def test_cli_export(extracted, tmp_path, dagster_home):
    OUT = _fresh_out(extracted, tmp_path)
    done = subprocess.run([str(BIN / "glossapi-dagster"), "export", str(OUT), str(tmp_path / "ds"), "--format",
                           "parquet", "--shard-size-mb", "0.04"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "records in" in done.stdout and list((tmp_path / "ds").glob("train-*-of-*.parquet"))
    bad = subprocess.run([str(BIN / "glossapi-dagster"), "export", str(tmp_path / "nowhere"), str(tmp_path / "x")],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "error" in bad.stderr


MAKE_SCRIPT = r"""
import random, sys
from pathlib import Path
from glossapi_dagster.state import OutputLayout, ProgressStore
n, out = int(sys.argv[1]), Path(sys.argv[2])
rnd = random.Random(n)
words = [''.join(rnd.choice('αβγδεζηθικλμνξοπρστυφχψω') for _ in range(rnd.randint(2, 9))) for _ in range(5000)]
layout = OutputLayout(out)
(out / 'markdown').mkdir(parents=True)
rows = []
for i in range(n):
    layout.markdown(f'd{i:06d}').write_text(' '.join(rnd.choice(words) for _ in range(300)), encoding='utf-8')
    rows.append({'stem': f'd{i:06d}', 'filename': f'd{i:06d}.pdf', 'file_ext': 'pdf', 'extract_status': 'success',
                 'page_count': 3, 'filter': 'ok', 'needs_ocr': False, 'percentage_greek': 99.0})
ProgressStore(layout.store_dir).upsert(rows)
"""

EXPORT_SCRIPT = r"""
import json, sys, threading, time
from pathlib import Path
import psutil
import datasketch, datasketch.lsh, pandas, pyarrow.parquet, zstandard  # imported before the baseline
from glossapi_dagster.export import ExportOptions, export_dataset
out, fmt = Path(sys.argv[1]), sys.argv[2]
me = psutil.Process()
base, peak, stop = me.memory_info().rss, [0], threading.Event()
def sample():  # the resident set every 5 ms: ru_maxrss would keep the imports' own peak
    while not stop.is_set():
        peak[0] = max(peak[0], me.memory_info().rss)
        time.sleep(0.005)
threading.Thread(target=sample, daemon=True).start()
report = export_dataset(out, out / ('export-' + fmt), ExportOptions(format=fmt, shard_size_bytes=8 << 20))
stop.set()
text_bytes = sum(p.stat().st_size for p in (out / 'markdown').iterdir())
print(json.dumps({'records': report.records, 'text_bytes': text_bytes, 'base_kb': base // 1024,
                  'peak_kb': max(peak[0], me.memory_info().rss) // 1024, 'seconds': report.seconds}))
"""


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[int, Path]:
    """Output folders of 2,000 and 10,000 generated documents (~3.5 KB of Greek-letter words each)."""
    root = tmp_path_factory.mktemp("memory")
    folders = {}
    for n in (2000, 10_000):
        made = subprocess.run([sys.executable, "-c", MAKE_SCRIPT, str(n), str(root / f"m{n}")], capture_output=True,
                              text=True, timeout=900, env=_env())
        assert made.returncode == 0, made.stderr[-3000:]
        folders[n] = root / f"m{n}"
    return folders


def _memory(out: Path, fmt: str) -> dict:
    done = subprocess.run([sys.executable, "-c", EXPORT_SCRIPT, str(out), fmt], capture_output=True, text=True,
                          timeout=900, env=_env())
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("fmt", ["jsonl_sharded", "parquet"])
def test_memory_stays_flat_over_ten_thousand_documents(generated, fmt):
    """The export's peak memory does not grow with the corpus: texts are streamed one at a time
    and the bookkeeping (store rows, measures, signatures, plan) is on disk. From 2,000 to 10,000
    documents it grows by less than 10 MB: what grows is sqlite's page caches filling up to their
    cap (3 x 2 MiB) as the index files grow. (Side by side on these folders the in-memory export
    before the index peaked about as high: its growth hides under transient peaks up to ~30,000
    documents; at 100,000 it was 246 MB against 35-43 MB, bench_export.py --memory-sizes.)"""
    small, big = _memory(generated[2000], fmt), _memory(generated[10_000], fmt)
    assert small["records"] == 2000 and big["records"] == 10_000
    grew = (big["peak_kb"] - big["base_kb"]) - (small["peak_kb"] - small["base_kb"])
    print(f"{fmt}: export peak above baseline {small['peak_kb'] - small['base_kb']} KB at 2000 documents, "
          f"{big['peak_kb'] - big['base_kb']} KB at 10000 (grew {grew} KB)")
    assert grew < 10_000, (small, big)


def test_jsonl_metadata_key_nests_the_chosen_columns(tmp_path, dagster_home):
    """GlossAPI's jsonl(metadata_key=..., metadata_fields=...): the chosen store columns nested
    under the key, the others beside the text; a markdown-less or empty document left out."""
    from glossapi_dagster import Corpus

    OUT = tmp_path / "OUT"
    layout = OutputLayout(OUT)
    (OUT / "markdown").mkdir(parents=True)
    texts = {"a": "Πρώτο κείμενο.\n", "b": "Δεύτερο κείμενο, άλλο.\n", "c": "   \n"}
    for stem, text in texts.items():
        layout.markdown(stem).write_text(text, encoding="utf-8")
    ProgressStore(layout.store_dir).upsert([
        {"stem": s, "filename": f"{s}.pdf", "file_ext": "pdf", "extract_status": "success", "page_count": i + 1,
         "filter": "ok", "needs_ocr": False} for i, s in enumerate([*texts, "d"])])
    c = Corpus(OUT, OUT, progress=False)
    path = c.jsonl(tmp_path / "x.jsonl", metadata_key="meta", metadata_fields=["page_count", "filter"])
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["filename"] for r in records] == ["a", "b"]
    assert [r["document"] for r in records] == [texts["a"], texts["b"]]
    assert records[0]["meta"] == {"page_count": 1, "filter": "ok"} and "page_count" not in records[0]
    assert records[0]["file_ext"] == "pdf"  # include_remaining_metadata: the rest beside the text
    assert c.last_export["filtered_by_reason"] == {"empty_text": 1, "markdown_missing": 1}


def test_rebuild_redoes_only_what_changed(tmp_path):
    """On a generated folder: a touched but unchanged markdown is read again and rewrites nothing;
    a document clean now flags rewrites its shard alone; a new document adds a shard; a shard
    deleted behind the export's back is written again."""
    from glossapi_dagster.export import ExportOptions, export_dataset, verify_export

    OUT, dest = tmp_path / "OUT", tmp_path / "ds"
    layout = OutputLayout(OUT)
    (OUT / "markdown").mkdir(parents=True)
    store = ProgressStore(layout.store_dir)

    def add(stems):
        for s in stems:
            layout.markdown(s).write_text(f"Κείμενο {s}: " + " ".join(f"λέξη{s}{k}" for k in range(200)),
                                          encoding="utf-8")
        store.upsert([{"stem": s, "filename": f"{s}.pdf", "extract_status": "success", "filter": "ok",
                       "needs_ocr": False} for s in stems])

    add([f"d{i:03d}" for i in range(30)])
    opts = ExportOptions(format="jsonl_sharded", shard_size_bytes=20_000)
    first = export_dataset(OUT, dest, opts)
    assert first.written == len(first.files) >= 3 and first.texts_read == 30
    stamps = {Path(f).name: Path(f).stat().st_mtime_ns for f in first.files}

    os.utime(layout.markdown("d005"), ns=(1, 1))          # touched, same text
    touched = export_dataset(OUT, dest, opts)
    assert (touched.texts_read, touched.texts_cached, touched.written) == (1, 29, 0)

    store.upsert([{"stem": "d012", "clean_keep": False}])  # flagged by a new clean
    dropped = export_dataset(OUT, dest, opts)
    assert dropped.texts_read == 0 and dropped.written == 1 and dropped.records == 29
    rewritten = [Path(f).name for f in dropped.files if Path(f).stat().st_mtime_ns != stamps.get(Path(f).name)]
    assert len(rewritten) == 1

    add(["e000"])
    grown = export_dataset(OUT, dest, opts)
    assert grown.texts_read == 1 and grown.written == 1 and len(grown.files) == len(dropped.files) + 1

    Path(grown.files[0]).unlink()
    healed = export_dataset(OUT, dest, opts)
    assert healed.written == 1 and healed.texts_read == 0
    found = verify_export(OUT, dest, "jsonl_sharded")
    assert found["records"] == found["expected"] == 30 and not found["not_exported"] and not found["twice"]


def test_index_replays_the_store_as_read_sees_it(tmp_path):
    """The export's index, fed the store batch by batch (base, then journal), holds the rows
    store.read() returns: last write wins per column, a None written erases, a new column joins."""
    from glossapi_dagster.export.index import ExportIndex
    from glossapi_dagster.export.records import plain

    store = ProgressStore(tmp_path / "store")
    store.upsert([{"stem": f"s{i:04d}", "page_count": i, "filter": "ok", "percentage_greek": 90.5}
                  for i in range(3000)])
    store.compact()
    store.upsert([{"stem": "s0001", "filter": None}, {"stem": "s0002", "filter": "mojibake>0.1"}])
    store.upsert([{"stem": "s0002", "duplicate_of": "s0001"}, {"stem": "new", "page_count": 7}])
    index = ExportIndex(tmp_path / "index.sqlite")
    try:
        index.load_store(store)
        replayed = {r["stem"]: r for r in index.rows()}
    finally:
        index.close()
    expected = {r["stem"]: {k: plain(v) for k, v in r.items()} for r in store.read().to_dict("records")}
    assert list(replayed) == sorted(expected)
    for stem, row in expected.items():
        assert {k: v for k, v in replayed[stem].items() if k != "updated_at"} == \
            {k: v for k, v in row.items() if k != "updated_at"}, stem
    assert replayed["s0001"]["filter"] is None and replayed["s0002"]["duplicate_of"] == "s0001"
