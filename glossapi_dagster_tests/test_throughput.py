"""What a short document costs beyond its pages (issue 29), held to its guarantees on real files and
processes: rows and new outputs synced by the controller's writer, many documents to a journal
file; workers that import nothing they do not use; markers swapped, not remade."""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from glossapi_dagster.backends.extract.docling_template import empty_document
from glossapi_dagster.phases.extract import ExtractTask, run_extraction
from glossapi_dagster.pool import PoolConfig
from glossapi_dagster.pool.devices import resolve_devices
from glossapi_dagster.pool.worklog import write_marker
from glossapi_dagster.state import OutputLayout, ProgressStore, SkipList
from glossapi_dagster.state.atomic import atomic_write_files, sync_files
from glossapi_dagster.state.manifest import update_manifest
from glossapi_dagster.state.store_writer import UNSYNCED, StoreWriter

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(180)


def _python(code: str, *args: str, env: dict | None = None) -> str:
    env = {**os.environ, **(env or {}), "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_rows_handed_over_during_a_write_share_one_journal_file(tmp_path):
    store = ProgressStore(tmp_path / "store")
    writer = StoreWriter(store, SkipList(tmp_path / "skip.txt"))
    with writer._cond:  # the writer thread waits for this lock: as if a write were being made
        writer.put([{"stem": "a", "extract_status": "success"}])
        writer.put([{"stem": "b", "extract_status": "success"}, {"stem": "c", "extract_status": "problematic"}])
        writer.put([{"stem": "d", "extract_status": "problematic"}], fatal=["d"])
    writer.flush()
    writer.close()
    assert len(list(store.journal.glob("*.parquet"))) == 1  # one file (and one fsync pair) for the four
    rows = dict(zip(*store.read(["stem", "extract_status"]).to_dict("list").values()))
    assert rows == {"a": "success", "b": "success", "c": "problematic", "d": "problematic"}
    assert SkipList(tmp_path / "skip.txt").read() == {"d"}


def test_a_failed_write_is_raised_to_the_controller_and_nothing_is_recorded(tmp_path):
    (tmp_path / "store").write_text("a file where the store's folder should be")
    writer = StoreWriter(ProgressStore(tmp_path / "store"))
    writer.put([{"stem": "a", "extract_status": "success"}])
    with pytest.raises(OSError):
        writer.flush()
    with pytest.raises(OSError):  # and every later hand-over: the run stops, the rows stay pending
        writer.put([{"stem": "b", "extract_status": "success"}])
    writer.close()


def test_new_files_are_left_for_the_caller_to_sync_and_a_replaced_one_is_synced_first(tmp_path):
    files = [(tmp_path / "json" / "x.json", b"{}"), (tmp_path / "markdown" / "x.md", "Ελληνικά\n".encode())]
    unsynced = atomic_write_files(files, sync=False)
    assert unsynced == [p for p, _ in files]  # new names: the caller syncs them before it records them
    assert [p.read_bytes() for p, _ in files] == [b"{}", "Ελληνικά\n".encode()]
    again = atomic_write_files([(p, b"new " + data) for p, data in files], sync=False)
    assert again == []  # each replaced a file: synced before its rename, as with sync=True
    assert (tmp_path / "json" / "x.json").read_bytes() == b"new {}"
    sync_files([*unsynced, tmp_path / "gone.md"])  # a file removed since needs nothing
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["x.json", "x.md"]  # no temp left


def test_a_run_records_every_document_and_no_file_list_reaches_the_outputs(tmp_path, corpus):
    source = corpus / "pdfs" / "FEK_A_10_-_24.01.2018.pdf"
    data = source.read_bytes()
    inp = tmp_path / "in"
    inp.mkdir()
    for k in range(12):  # short documents, each its own bytes
        (inp / f"g{k:02d}.pdf").write_bytes(data + f"\n%copy {k}\n".encode())
    layout = OutputLayout(tmp_path / "out")
    store = ProgressStore(layout.store_dir)
    update_manifest(store, inp, "pdf", 1000)
    rows = store.read(["stem", "path", "shard"]).to_dict("records")
    config = PoolConfig(devices=resolve_devices("single", [0, 1]), log_dir=layout.root / "logs", item_timeout=300.0)
    report = run_extraction(layout.root, rows, config, accel_type="cpu", phase1_backend="safe")
    assert report.counts()["success"] == 12
    assert all(UNSYNCED not in (o.result or {}) for o in report.outcomes)  # the controller took them
    done = store.read(["stem", "extract_status", "page_count"])
    assert set(done["extract_status"]) == {"success"} and set(done["page_count"]) == {2}
    assert UNSYNCED not in done.columns and UNSYNCED not in store.read().columns
    for row in rows:
        sidecar = json.loads(layout.sidecar("extract", row["stem"]).read_text(encoding="utf-8"))
        assert UNSYNCED not in sidecar and layout.markdown(row["stem"]).stat().st_size > 1000
    assert not list(layout.root.rglob("*.tmp"))


def test_a_safe_worker_imports_neither_pydantic_nor_pandas(tmp_path):
    empty_document()  # the template on disk, as the first worker of a machine leaves it
    task = ExtractTask(str(tmp_path), {}, phase1_backend="safe", accel_type="cpu")
    assert task.options.ocr_langs == "ell+eng" and task.options.page_time_budget == 20.0  # ExtractOptions' defaults
    (tmp_path / "task.pkl").write_bytes(pickle.dumps(task))
    out = _python("""
        import logging, os, pickle, sys
        from glossapi_dagster.pool.task import WorkerContext
        task = pickle.loads(open(sys.argv[1], "rb").read())   # what a worker does with its spec
        task.setup(WorkerContext("gpu0", None, 1, os.getpid(), logging.getLogger("w")))
        print(sorted(m for m in ("pydantic", "pandas", "pyarrow", "docling_core", "torch") if m in sys.modules))
    """, tmp_path / "task.pkl")
    assert out.strip() == "[]"


def test_a_task_carries_its_options_whole_read_only_and_what_the_controller_resolved():
    from glossapi_dagster.datamodel import ExtractOptions

    options = ExtractOptions(phase1_backend="safe", do_ocr=True, ocr_langs="ell+grc+eng", max_pages=50)
    task = ExtractTask("/out", {}, options, accel_type="cpu", ocr_engine="tesseract")
    assert vars(task.options) == options.model_dump()  # every field, none copied by hand
    assert (task.resolved.accel_type, task.resolved.ocr_engine) == ("cpu", "tesseract")
    with pytest.raises(AttributeError, match="read-only"):
        task.options.do_ocr = False
    again = pickle.loads(pickle.dumps(task))  # what a worker has
    assert again.options == task.options and again.resolved == task.resolved and again.options.max_pages == 50


def test_splicing_ranges_needs_no_docling_core_once_its_template_is_kept(tmp_path):
    cache = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    code = """
        import sys
        from glossapi_dagster.phases.stitch import empty_document, splice
        doc = splice([], empty_document(), "x")
        print(doc["schema_name"], "docling_core" in sys.modules)
    """
    assert _python(code, env=cache).split() == ["DoclingDocument", "True"]  # the first one builds it
    assert _python(code, env=cache).split() == ["DoclingDocument", "False"]  # then it is read from disk


def test_a_marker_is_rewritten_by_swapping_two_files(tmp_path):
    marker, before = tmp_path / "gpu0.current", None
    for items in (["/in/a.pdf"], [], ["/in/b.pdf", "/in/c\nd.pdf"], [], ["/in/e.pdf"]):
        write_marker(marker, items)
        text = "".join(i.replace("\n", "\\n") + "\n" for i in items)
        assert marker.read_text(encoding="utf-8") == text
        if before is not None:  # the file swapped out holds the previous items: rewritten next time, not remade
            assert marker.with_name(".gpu0.current.prev").read_text(encoding="utf-8") == before
        before = text
    assert sorted(p.name for p in tmp_path.glob("*.current")) == ["gpu0.current"]


def test_triage_s_quick_garbled_test_says_what_its_pattern_says():
    import random

    from glossapi_dagster.backends.quality.triage import _GARBLED, _garbled

    rnd = random.Random(29)
    alphabet = "aAbBzZoOαΑβΒάΆωΩ0123_٣²\u0300-·'\ufffd\u2603é"  # Latin, Greek, digits (Arabic-Indic too), marks
    words = {"".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 9))) for _ in range(50_000)}
    words |= {"okEaaooE", "tK244Xn", "Ελληνικά", "Ηλεκτρονικoύ", "H2O", "ΦΕΚ", "e-mail", "x²y"}
    assert [w for w in words if _garbled(w) != bool(_GARBLED.search(w))] == []
    assert sum(map(_garbled, words)) > 1000  # both answers occur
