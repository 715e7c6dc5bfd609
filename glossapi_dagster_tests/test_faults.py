"""Issue 14: what a careful user does to a corpus (shares OUT, replaces a file, fills the disk,
presses Ctrl-C...) loses no document. Real CLI processes, real workers, real PDFs."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from glossapi_dagster.state import OutputLayout, ProgressStore

from .full_disk import fill, tmpfs
from .conftest import BIN, copy_pdfs, expected_problems
from .user_runs import errors

CLI = str(BIN / "glossapi-dagster")
FAST = ["redp5110_sampled.pdf", "multicolumn.pdf", "typologio_mas026.pdf"]  # born-digital: the safe backend, ~0.05 s each
POOL = ["--devices", "0,1", "--accel-type", "cpu", "--num-threads", "1"]


@pytest.fixture(autouse=True)
def _ephemeral_instance(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)


def cli(*args, env=None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})}, **kw)


def start(*args, env=None) -> subprocess.Popen:
    return subprocess.Popen([CLI, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})}, start_new_session=True)


def rows(out: Path) -> dict[str, dict]:
    return {r["stem"]: r for r in ProgressStore(OutputLayout(out).store_dir).read().to_dict("records")}


def processed(result_stdout: str) -> tuple[int, int]:
    m = re.search(r"extract: (\d+) processed, (\d+) problematic", result_stdout)
    assert m, result_stdout
    return int(m[1]), int(m[2])


def worker_pids(out: Path) -> list[int]:
    return [int(p.stem.rsplit("_", 1)[1]) for p in (out / "logs" / "extract_workers").glob("*_*.log")]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_until(check, timeout: float = 120.0, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except Exception:  # the store mid-write, a file not there yet
            pass
        time.sleep(every)
    return False


def successes(out: Path) -> set[str]:
    return {s for s, r in rows(out).items() if r.get("extract_status") == "success"}


def last_line(text: str) -> str:
    return [line for line in text.splitlines() if line.strip()][-1]


def needs_root(what: str):
    return pytest.mark.skipif(os.geteuid() != 0, reason=f"{what} needs root (mount); "
                                                        f"run the suite as root to cover it")


# -- 1. shared OUT ------------------------------------------------------------------------
def test_two_input_folders_share_one_out_nothing_lost_nothing_missing(tmp_path, corpus):
    A = copy_pdfs(corpus / "pdfs", tmp_path / "A", ["redp5110_sampled.pdf", "multicolumn.pdf"])
    B = copy_pdfs(corpus / "pdfs", tmp_path / "B", ["redp5110_sampled.pdf", "typologio_mas026.pdf"])  # redp5110_sampled in both
    OUT = tmp_path / "OUT"
    runs = [start("extract", A, OUT, "--devices", "0", "--accel-type", "cpu"),
            start("extract", B, OUT, "--devices", "0", "--accel-type", "cpu")]
    outs = [p.communicate(timeout=600) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], [e[-2000:] for _, e in outs]
    store = rows(OUT)
    paths = {r["path"]: s for s, r in store.items()}
    files = [str(p) for p in sorted([*A.glob("*.pdf"), *B.glob("*.pdf")])]
    assert sorted(paths) == files  # one row per file, the two redp5110_sampled.pdf with two stems
    assert all(r["extract_status"] == "success" and not r["missing"] for r in store.values())
    assert all(OutputLayout(OUT).markdown(s).exists() for s in store)
    assert sum(processed(o)[0] for o, _ in outs) == 4  # each document extracted once, by one run

    again = cli("extract", A, OUT, *POOL)  # one after the other: B's rows are not A's business
    assert again.returncode == 0 and processed(again.stdout) == (0, 0)
    assert not any(r["missing"] for r in rows(OUT).values())


def test_a_scan_judges_only_its_own_folder_and_unflags_files_that_exist(tmp_path, corpus):
    from glossapi_dagster.state.manifest import update_manifest

    A = copy_pdfs(corpus / "pdfs", tmp_path / "A", ["redp5110_sampled.pdf"])
    B = copy_pdfs(corpus / "pdfs", tmp_path / "B", ["redp5110_sampled.pdf", "multicolumn.pdf"])
    store = ProgressStore(tmp_path / "OUT" / "download_results")
    update_manifest(store, A, "pdf")
    update_manifest(store, B, "pdf")
    assert update_manifest(store, A, "pdf").vanished == []  # B's rows are not A's to judge
    df = store.read()
    assert len(df) == 3 and not df["missing"].fillna(False).astype(bool).any()
    b_report = df.loc[df["path"] == str(B / "redp5110_sampled.pdf"), "stem"].item()
    store.upsert([{"stem": b_report, "missing": True}])  # flagged by an older version while it existed
    assert update_manifest(store, A, "pdf").returned == [b_report]
    (A / "redp5110_sampled.pdf").unlink()
    assert update_manifest(store, A, "pdf").vanished == ["redp5110_sampled"]  # its own path gone: missing


def test_two_runs_over_one_input_folder_split_the_work(tmp_path, corpus):
    IN = copy_pdfs(corpus / "pdfs", tmp_path / "IN", [*FAST, "code_and_formula.pdf", "4.5.chain_rule.pdf"])
    OUT = tmp_path / "OUT"
    runs = [start("extract", IN, OUT, "--devices", "0", "--accel-type", "cpu") for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], [e[-2000:] for _, e in outs]
    assert sum(processed(o)[0] + processed(o)[1] for o, _ in outs) == 5  # nothing twice, nothing left
    assert successes(OUT) == {p.stem for p in IN.glob("*.pdf")}
    assert not list((OUT / "download_results" / "claims" / "extract").iterdir())  # released


# -- 2. a replaced file ---------------------------------------------------------------------
def test_replaced_file_is_extracted_again_and_a_touched_one_is_not(tmp_path, corpus):
    IN = copy_pdfs(corpus / "pdfs", tmp_path / "IN", FAST)
    OUT = tmp_path / "OUT"
    assert cli("extract", IN, OUT, *POOL).returncode == 0
    layout = OutputLayout(OUT)
    before = layout.markdown("redp5110_sampled").read_text(encoding="utf-8")
    shutil.copyfile(IN / "multicolumn.pdf", IN / "redp5110_sampled.pdf")  # `cp other.pdf IN/redp5110_sampled.pdf`
    os.utime(IN / "typologio_mas026.pdf")  # touched, the same bytes

    result = cli("extract", IN, OUT, *POOL)
    assert result.returncode == 0 and processed(result.stdout) == (1, 0), result.stderr[-2000:]
    row = rows(OUT)["redp5110_sampled"]
    assert row["sha256"] == hashlib.sha256((IN / "redp5110_sampled.pdf").read_bytes()).hexdigest()
    assert row["size"] == (IN / "redp5110_sampled.pdf").stat().st_size and row["extract_status"] == "success"
    after = layout.markdown("redp5110_sampled").read_text(encoding="utf-8")
    assert after != before and after == layout.markdown("multicolumn").read_text(encoding="utf-8")
    assert processed(cli("extract", IN, OUT, *POOL).stdout) == (0, 0)  # and then it is done


# -- 4. disk full ----------------------------------------------------------------------------


@needs_root("a full disk (a small tmpfs)")
def test_disk_full_stops_the_run_and_a_plain_rerun_completes(tmp_path, corpus):
    IN = copy_pdfs(corpus / "pdfs", tmp_path / "IN", ["GeoTopo-komprimiert.pdf", "FEK_A_79_-_30.04.2018.pdf",
                                                      "code_and_formula.pdf"])
    with tmpfs(tmp_path / "OUT", "16m") as OUT:
        filler = fill(OUT, leave=96 * 1024)  # the manifest fits; GeoTopo's 390 kB of outputs do not
        full = cli("extract", IN, OUT, *POOL)
        assert full.returncode == 2, full.stderr[-3000:]
        assert re.match(r"glossapi-dagster: error: cannot write to the output folder .*No space left on device",
                        last_line(full.stderr)), last_line(full.stderr)
        assert errors(full.stderr) == [last_line(full.stderr)]  # the one line alone: the stack trace is in the run's log
        status = cli("status", OUT, "--json")  # the store stays readable
        assert status.returncode == 0, status.stderr[-2000:]
        counts = json.loads(status.stdout)
        assert counts["documents"] == 3 and "problematic" not in counts["extract"], counts
        assert counts["pending"] >= 1 and not counts["skiplist"]

        filler.unlink()  # space freed: a plain rerun, no --reprocess
        rerun = cli("extract", IN, OUT, *POOL)
        assert rerun.returncode == 0, rerun.stderr[-3000:]
        assert successes(OUT) == {p.stem for p in IN.glob("*.pdf")}


# -- 5, 6 and the options: a symlink loop, OUT inside IN, max_pages --------------------------
def test_symlink_loop_is_one_problematic_row_and_max_pages_reaches_the_backend(tmp_path, corpus):
    IN = copy_pdfs(corpus / "pdfs", tmp_path / "IN", [*FAST, "ocr_test.pdf"])
    (IN / "self.pdf").symlink_to("self.pdf")  # `ln -s self.pdf IN/self.pdf`
    OUT = tmp_path / "OUT"
    result = cli("extract", IN, OUT, *POOL, "--max-pages", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    store = rows(OUT)
    assert store["self"]["extract_status"] == "problematic" and "symlink loop" in store["self"]["extract_error"]
    # redp5110_sampled (18 pages) and multicolumn (3) are over the budget; typologio (2) and ocr_test (1) are not
    over = {s for s, r in store.items() if r["extract_status"] == "problematic" and s != "self"}
    assert over == {"redp5110_sampled", "multicolumn"}, {s: r["extract_error"] for s, r in store.items()}
    assert successes(OUT) == {"typologio_mas026", "ocr_test"}


def test_output_folder_inside_the_input_folder_is_not_taken_in(tmp_path, corpus):
    IN = copy_pdfs(corpus / "pdfs", tmp_path / "IN", ["typologio_mas026.pdf"])
    OUT = IN / "out"
    for _ in range(2):
        result = cli("extract", IN, OUT, *POOL, "--input-format", "all")
        assert result.returncode == 0, result.stderr[-3000:]
        assert "lies inside the input folder: not scanned" in result.stderr
    assert list(rows(OUT)) == ["typologio_mas026"]


def test_input_folder_that_is_the_output_folder_keeps_its_outputs_out(tmp_path, corpus):
    """IN == OUT (GlossAPI's OUT/downloads layout, one level up): the scan leaves OUT's own folders."""
    from glossapi_dagster.state.manifest import update_manifest

    OUT = copy_pdfs(corpus / "pdfs", tmp_path / "OUT", ["typologio_mas026.pdf"])
    store = ProgressStore(OutputLayout(OUT).store_dir)
    for n in range(2):
        update = update_manifest(store, OUT, "all")
        (OUT / "markdown").mkdir(exist_ok=True)
        (OUT / "markdown" / f"typologio_mas026{n}.md").write_text("# earlier output\n")
        (OUT / "sidecars" / "extract").mkdir(parents=True, exist_ok=True)
        (OUT / "sidecars" / "extract" / f"x{n}.html").write_text("<p>x</p>")
        assert any("is the output folder" in note for note in update.notes)
    assert list(store.read()["stem"]) == ["typologio_mas026"]


# -- 9: Ctrl-C and SIGTERM ---------------------------------------------------------------------
def finished_at(out: Path) -> dict[str, float]:
    return {s: json.loads(OutputLayout(out).sidecar("extract", s).read_text())["finished_at"] for s in successes(out)}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_is_one_line_no_orphans_and_a_rerun_resumes(tmp_path, corpus, sig):
    IN = copy_pdfs(corpus / "pdfs", tmp_path / "IN")  # the broken files fall back to Docling (seconds each)
    OUT = tmp_path / "OUT"
    run = start("extract", IN, OUT, *POOL)
    assert wait_until(lambda: len(successes(OUT)) >= 1), "no document finished"
    if sig == signal.SIGINT:  # Ctrl-C: the terminal signals the whole process group, workers too
        os.killpg(run.pid, sig)
    else:  # `kill PID`
        run.send_signal(sig)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 128 + sig, err[-3000:]
    assert re.fullmatch(r"interrupted; \d+ documents done, run again to resume", last_line(err)), last_line(err)
    assert "Traceback" not in err and "DagsterExecutionInterruptedError" not in err
    assert wait_until(lambda: not any(alive(p) for p in worker_pids(OUT)), timeout=20), "orphan workers"
    done = finished_at(OUT)
    assert len(done) < len(list(IN.glob("*.pdf")))  # really interrupted, work left

    rerun = cli("extract", IN, OUT, *POOL)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert all(r["extract_status"] in ("success", "problematic") for r in rows(OUT).values())
    # the interrupt charged no document: the problematic ones are the corpus's broken files
    assert {s for s, r in rows(OUT).items() if r["extract_status"] == "problematic"} == set(expected_problems(corpus))
    assert {s: t for s, t in finished_at(OUT).items() if s in done} == done  # nothing finished is redone


# -- 7, 12 and 3: status at any time, a controller killed outright, the base deleted ------------
def test_status_during_a_run_and_after_kill_9_then_a_lost_base_is_rebuilt(tmp_path, corpus):
    IN = copy_pdfs(corpus / "pdfs", tmp_path / "IN", FAST)
    OUT, TMP = tmp_path / "OUT", tmp_path / "tmp"
    TMP.mkdir()
    env = {"TMPDIR": str(TMP)}
    assert cli("extract", IN, OUT, *POOL).returncode == 0  # the base holds these three, done
    copy_pdfs(corpus / "pdfs", IN, [p.name for p in (corpus / "pdfs").glob("*.pdf") if p.name not in FAST])
    run = start("extract", IN, OUT, *POOL, env=env)
    assert wait_until(lambda: len(successes(OUT)) > 3)
    for args in (["status", OUT], ["status", OUT, "--json"]):  # while the run writes the journal
        status = cli(*args)
        assert status.returncode == 0, status.stderr[-2000:]
    during = json.loads(status.stdout)
    assert run.poll() is None, "the run ended before status was tried during it"
    assert during["extract"].get("pending", 0) > 0 and during["in_progress"] > 0, during
    pool_dirs = list(TMP.glob("glossapi-pool-*"))
    assert pool_dirs
    os.kill(run.pid, signal.SIGKILL)
    run.communicate(timeout=60)
    status = cli("status", OUT, "--json")
    assert status.returncode == 0, status.stderr
    after = json.loads(status.stdout)
    assert after["pending"] > 0 and after["in_progress"] == 0 and after["documents"] == len(list(IN.glob("*.pdf"))), after
    assert all(p.exists() for p in pool_dirs)  # SIGKILL skipped every cleanup
    done = finished_at(OUT)

    # a user clears "the big file", keeping the journal of the killed run
    assert list((OUT / "download_results" / "journal").glob("*.parquet"))
    (OUT / "download_results" / "download_results.parquet").unlink()
    status = cli("status", OUT)
    assert status.returncode == 0 and status.stdout.startswith("warning: "), status.stdout + status.stderr

    rerun = cli("extract", IN, OUT, *POOL, env=env)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "damaged progress store" in rerun.stderr and "no file has two rows" in rerun.stderr
    store = rows(OUT)
    assert sorted(r["path"] for r in store.values()) == sorted(str(p) for p in IN.glob("*.pdf"))  # one row each
    assert all(r["extract_status"] in ("success", "problematic") for r in store.values())
    assert {s: t for s, t in finished_at(OUT).items() if s in done} == done  # from journal and outputs alike
    assert {p[:-4] for p in FAST} <= set(done)
    assert not list(TMP.glob("glossapi-pool-*"))  # the next start removed the killed run's folder
    assert json.loads(cli("status", OUT, "--json").stdout)["pending"] == 0


def test_progress_bar_on_a_resumed_run(tmp_path, corpus):
    """Resumed: rows pending, none finished yet since the bar started (the filter is empty)."""
    from tqdm import tqdm

    from glossapi_dagster.corpus import _ProgressBar
    from glossapi_dagster.state.manifest import update_manifest

    IN = copy_pdfs(corpus / "pdfs", tmp_path / "IN", FAST)
    store = ProgressStore(tmp_path / "OUT" / "download_results")
    update_manifest(store, IN, "pdf")
    store.upsert([{"stem": "redp5110_sampled", "extract_status": "success"}])  # done by the interrupted run
    bar = _ProgressBar(store, "extract", "extract_status", reprocess=False)
    assert bar.todo == {"multicolumn", "typologio_mas026"}
    start_at = time.time()
    with tqdm(total=len(bar.todo), disable=True) as t:
        bar._update(t, start_at)
        assert t.n == 0
        store.upsert([{"stem": "multicolumn", "extract_status": "problematic"}])
        bar._update(t, start_at)
        assert t.n == 1


# -- 10, 11: read-only OUT, and modes -------------------------------------------------------
@needs_root("a read-only output folder (a read-only bind mount)")
def test_read_only_out_reads_and_refuses_writes_and_outputs_have_umask_modes(tmp_path, corpus):
    IN = copy_pdfs(corpus / "pdfs", tmp_path / "IN", FAST)
    OUT = tmp_path / "OUT"
    result = subprocess.run([CLI, "extract", IN, OUT, *POOL], capture_output=True, text=True, timeout=600,
                            preexec_fn=lambda: os.umask(0o022))
    assert result.returncode == 0, result.stderr[-3000:]
    layout = OutputLayout(OUT)
    for path in (layout.markdown("redp5110_sampled"), layout.docling_json("redp5110_sampled"), layout.sidecar("extract", "redp5110_sampled"),
                 layout.metrics("redp5110_sampled"), layout.store_dir / "download_results.parquet"):
        assert oct(path.stat().st_mode & 0o777) == oct(0o644), path

    RO = tmp_path / "RO"
    RO.mkdir()
    subprocess.run(["mount", "--bind", str(OUT), str(RO)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(RO)], check=True)
        status = cli("status", RO, "--json")
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["extract"] == {"success": 3}
        refused = cli("extract", IN, RO, *POOL)  # OUT was made by root: for root only a read-only mount refuses
        assert refused.returncode == 2
        assert re.fullmatch(rf"glossapi-dagster: error: cannot write to the output folder {re.escape(str(RO))}: "
                            r"Read-only file system .*", last_line(refused.stderr)), refused.stderr
        assert "Traceback" not in refused.stderr
        assert sorted(worker_pids(RO)) == sorted(worker_pids(OUT))  # no worker started
    finally:
        subprocess.run(["umount", "-l", str(RO)], check=False)


# -- the damaged-store messages name the file -------------------------------------------------
def test_damaged_store_messages_name_the_damaged_file(tmp_path, corpus):
    from glossapi_dagster.state.errors import DamagedStore
    from glossapi_dagster.state.manifest import update_manifest

    IN = copy_pdfs(corpus / "pdfs", tmp_path / "IN", FAST)
    store = ProgressStore(tmp_path / "OUT" / "download_results")
    update_manifest(store, IN, "pdf")
    store.upsert([{"stem": "redp5110_sampled", "extract_status": "success"}])
    garbage = next(store.journal.glob("*.parquet"))
    garbage.write_bytes(b"not parquet at all")
    with pytest.raises(DamagedStore, match=re.escape(str(garbage))):
        store.read()
    garbage.unlink()
    with open(store.path, "r+b") as f:
        f.truncate(store.path.stat().st_size // 2)
    with pytest.raises(DamagedStore, match=re.escape(str(store.path))):
        store.read()
    status = cli("status", tmp_path / "OUT")
    assert status.returncode == 2 and str(store.path) in status.stderr and "Traceback" not in status.stderr


def test_a_full_disk_in_any_phase_stops_the_pool_and_charges_no_item(tmp_path):
    """The pool's own rule, for every phase (math, OCR): ENOSPC / EDQUOT are never the item's fault."""
    from glossapi_dagster.pool import PoolConfig, RunStopped, WorkerPool, resolve_devices

    from .tasks import NoSpaceTask

    recorded = []
    pool = WorkerPool(NoSpaceTask(str(tmp_path), frozenset({3})),
                      PoolConfig(devices=resolve_devices(devices=[0]), log_dir=tmp_path / "logs", max_attempts=2),
                      on_batch=recorded.extend)
    with pytest.raises(RunStopped, match="out of disk space"):
        pool.run(range(6))
    assert [o.item for o in recorded] == [0, 1, 2]  # done before it; 3 and the rest stay pending
    assert all(o.status == "success" for o in recorded)
    assert not any(p.proc for p in pool.slots)  # its worker is gone
