"""Issue 24: input that stopped, stalled or misled a run. A file is what its bytes are, whatever its
name; a name in a legacy encoding is a document like any; an empty folder is 0 documents; the
export checks its options and DEST before any work and names DEST in its errors."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from .full_disk import fill, tmpfs
from .user_runs import CLI, POOL, cli, errors, rows

# A Greek text whose accented letters were lost to U+FFFD on the way: mojibake, in no PDF.
GARBLED = "Κανόνας αλυσίδας \ufffd\ufffd\ufffd μετ\ufffd\ufffd την π\ufffd\ufffdράγωγο \ufffd\ufffd\ufffd.\n" * 20
LEGACY_NAME = "Άρθρο.pdf".encode("cp1253")  # as old Greek archives (Windows-1253) name their files


@pytest.fixture(autouse=True)
def _ephemeral_instance(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)


def jpeg() -> bytes:
    from io import BytesIO

    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", (40, 30), "red").save(buf, format="JPEG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, corpus):
    """IN as a harvest leaves it: a PDF saved as .docx, a mojibake .md, a JPEG named .docx, .md and
    .html, zero-byte .md and .docx. Extracted, then exported."""
    root = tmp_path_factory.mktemp("mixed")
    IN, OUT = root / "IN", root / "OUT"
    IN.mkdir()
    shutil.copyfile(corpus / "pdfs" / "4.5.chain_rule.pdf", IN / "paper.docx")
    (IN / "garbled.md").write_text(GARBLED, encoding="utf-8")
    for name in ("photo.docx", "photo.md", "photo.html"):
        (IN / name).write_bytes(jpeg())
    (IN / "blank.md").write_bytes(b"")
    (IN / "void.docx").write_bytes(b"")
    extract = cli("extract", IN, OUT, *POOL, timeout=240)
    export = cli("export", OUT, root / "DEST")
    return {"IN": IN, "OUT": OUT, "root": root, "extract": extract, "export": export, "rows": rows(OUT)}


# -- 6 --------------------------------------------------------------------------------------------
def test_a_pdf_named_docx_is_read_as_a_pdf(mixed):
    assert mixed["extract"].returncode == 0, mixed["extract"].stderr[-3000:]
    paper = mixed["rows"]["paper"]
    assert paper["file_ext"] == "pdf" and paper["extraction_backend"] == "safe", paper  # the bytes chose
    text = (mixed["OUT"] / "markdown" / "paper.md").read_text(encoding="utf-8")
    assert "Κανόνας αλυσίδας" in text and "\ufffd" not in text


def test_clean_judges_every_document_not_only_pdfs(mixed):
    assert mixed["export"].returncode == 0, mixed["export"].stderr[-3000:]
    store = rows(mixed["OUT"])
    assert store["paper"]["clean_keep"] is True
    garbled = store["garbled"]
    assert garbled["extract_status"] == "success" and "mojibake>0.1" in garbled["filter"]
    assert garbled["clean_keep"] is False and garbled["needs_ocr"] is False  # left out; OCR cannot help a .md
    assert "1 records" in mixed["export"].stdout, mixed["export"].stdout  # paper alone


def test_docling_takes_the_kind_from_the_bytes_and_repairs_a_pdf_under_any_name(tmp_path, corpus):
    from glossapi_dagster.backends.extract.docling_extractor import DoclingExtractor

    shutil.copyfile(corpus / "pdfs" / "4.5.chain_rule.pdf", tmp_path / "paper.docx")
    conv = DoclingExtractor("native").convert(tmp_path / "paper.docx", kind="pdf")
    text = conv.document.export_to_markdown()
    assert "Κανόνας αλυσίδας" in text and "\ufffd" not in text
    assert "pdfium_text" in (conv.repairs or {})  # docling-parse garbled it; pdfium's Greek was taken


# -- 8 and 9 -------------------------------------------------------------------------------------
def test_a_legacy_encoded_name_gets_a_readable_stem_and_is_extracted(tmp_path, corpus):
    IN, OUT = tmp_path / "IN", tmp_path / "OUT"
    IN.mkdir()
    shutil.copyfile(corpus / "pdfs" / "typologio_mas026.pdf", os.fsencode(IN) + b"/" + LEGACY_NAME)
    done = cli("extract", IN, OUT, *POOL)
    assert done.returncode == 0 and not errors(done.stderr), done.stderr[-3000:]
    row = rows(OUT)["Άρθρο"]  # the name read as Greek
    assert row["extract_status"] == "success" and row["filename"] == "Άρθρο.pdf", row
    assert os.fsencode(row["path"]) == os.fsencode(IN) + b"/" + LEGACY_NAME  # the exact bytes kept
    assert "Συστήματα συντεταγμένων" in (OUT / "markdown" / "Άρθρο.md").read_text(encoding="utf-8")
    rerun = cli("extract", IN, OUT, *POOL)
    assert rerun.returncode == 0 and "extract: 0 processed" in rerun.stdout, rerun.stdout  # its row, not a new one
    assert list(rows(OUT)) == ["Άρθρο"]


@pytest.mark.timeout(200)
def test_a_named_pipe_is_a_problematic_row_and_the_scan_does_not_hang(tmp_path, corpus):
    IN, OUT = tmp_path / "IN", tmp_path / "OUT"
    IN.mkdir()
    shutil.copyfile(corpus / "pdfs" / "typologio_mas026.pdf", IN / "paper.pdf")
    os.mkfifo(IN / "pipe.pdf")  # reading it blocks until someone writes: nobody will
    done = cli("extract", IN, OUT, *POOL, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    store = rows(OUT)
    assert store["paper"]["extract_status"] == "success"
    assert store["pipe"]["extract_status"] == "problematic"
    assert store["pipe"]["extract_error"] == "not a regular file (a named pipe); not read"


# -- 11 -------------------------------------------------------------------------------------------
def test_an_image_or_an_empty_file_under_a_document_name_is_refused_with_its_reason(mixed):
    store = mixed["rows"]
    photos = {s: r for s, r in store.items() if s.startswith("photo")}
    assert len(photos) == 3
    for stem, row in photos.items():
        assert row["extract_status"] == "problematic", row
        assert row["extract_error"] == "a JPEG image, not a document this pipeline converts", row
    assert {store[s]["extract_error"] for s in ("blank", "void")} == {"empty: zero-byte file"}
    err = mixed["extract"].stderr.lower()
    assert "hugging" not in err and "internet" not in err  # no converter was asked to make sense of them


# -- 14 -------------------------------------------------------------------------------------------
def test_the_run_summary_counts_what_the_workers_refused(mixed):
    # paper and garbled done; three images and two empty files refused
    assert "extract: 2 processed, 5 problematic" in mixed["extract"].stdout, mixed["extract"].stdout


# -- 7 --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("contents", [[], ["notes.txt"]], ids=["empty", "only-txt"])
def test_an_input_folder_without_documents_is_zero_documents(tmp_path, contents):
    IN = tmp_path / "IN"
    IN.mkdir()
    for name in contents:
        (IN / name).write_text("not a document\n")
    done = cli("extract", IN, tmp_path / "OUT", *POOL)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("extract: 0 processed, 0 problematic"), done.stdout
    assert not errors(done.stderr), errors(done.stderr)


# -- 10 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args, message", [
    (["--near-threshold", "2"], "near_threshold must be in (0, 1], got 2.0"),
    (["--near-threshold", "0"], "near_threshold must be in (0, 1], got 0.0"),
    (["FILE"], "is a file, not a folder"),
])
def test_export_options_and_dest_are_checked_before_any_work(mixed, tmp_path, args, message):
    dest = tmp_path / "DEST"
    if args == ["FILE"]:
        dest.write_text("a file")
        args = []
    done = cli("export", mixed["OUT"], dest, *args)
    assert done.returncode == 2, done.stderr[-3000:]
    assert errors(done.stderr) == [f"glossapi-dagster: error: {errors(done.stderr)[0].split('error: ', 1)[1]}"]
    assert message in done.stderr
    assert not dest.is_dir() or not list(dest.iterdir())  # nothing written: not even the index


def _export_at_once(barrier, out, dest, results) -> None:
    from glossapi_dagster.export import ExportOptions, export_dataset

    barrier.wait()
    try:  # a shard a record: many shard files, many chances to meet another export's
        export_dataset(out, dest, ExportOptions(format="parquet", shard_size_bytes=100))
        results.put("ok")
    except Exception as exc:  # reported, not raised: the test shows which
        results.put(repr(exc))


@pytest.mark.timeout(300)
def test_exports_into_one_dest_at_once_take_turns(mixed, tmp_path):
    import multiprocessing

    from glossapi_dagster.export.dataset import LOCK
    from glossapi_dagster.state.atomic import file_lock

    dest = tmp_path / "DEST"
    dest.mkdir()
    with file_lock(dest / LOCK):  # an export in progress: a second one waits for it
        waiting = subprocess.Popen([CLI, "export", str(mixed["OUT"]), str(dest), "--format", "parquet"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            waiting.wait(timeout=6)
        except subprocess.TimeoutExpired:
            pass
        assert waiting.poll() is None and not list(dest.glob("*.parquet")), "the second export did not wait"
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0 and "1 records" in out, err[-2000:]

    ctx = multiprocessing.get_context("fork")  # four exports let go at one instant
    barrier, results, dest = ctx.Barrier(4), ctx.Queue(), tmp_path / "DEST2"
    runs = [ctx.Process(target=_export_at_once, args=(barrier, mixed["OUT"], dest, results)) for _ in range(4)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(120)
    assert [results.get(timeout=5) for _ in runs] == ["ok"] * 4
    assert sorted(p.name for p in dest.iterdir() if not p.name.startswith(".")) == \
        ["README.md", "train-00000-of-00001.parquet"]
    assert not list(dest.glob(".*.tmp")) and not list(dest.glob("*.scratch-*"))


@pytest.mark.skipif(os.geteuid() != 0, reason="a full DEST is a small tmpfs, which needs root (mount)")
@pytest.mark.parametrize("fails_at", ["index", "shard"])
def test_a_full_dest_is_named_in_one_line_and_leaves_no_half_shard(mixed, tmp_path, fails_at):
    out = tmp_path / "OUT"
    shutil.copytree(mixed["OUT"], out)
    if fails_at == "shard":  # a long document: its shard (~2 MB) cannot fit where the export's index (~0.1 MB) does
        import random

        words = ("".join(random.Random(n).choices("αβγδεζηθικλμνξοπρστυφχψω", k=7)) for n in range(250_000))
        (out / "markdown" / "paper.md").write_text(" ".join(words), encoding="utf-8")
    with tmpfs(tmp_path / "DEST", "4m") as dest:
        fill(dest, 600 * 1024 if fails_at == "shard" else 0)
        done = cli("export", out, dest, "--format", "parquet")
        assert done.returncode == 2, done.stderr[-3000:]
        assert errors(done.stderr) == [f"glossapi-dagster: error: cannot write to the export folder {dest}: "
                                       "No space left on device; no shard was replaced, run again once it has room"]
        assert not [p.name for p in dest.iterdir() if p.name.endswith(".tmp") or ".scratch-" in p.name]
