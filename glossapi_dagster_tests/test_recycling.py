"""Worker recycling: a worker is replaced after max_items_per_worker items or past
max_worker_rss_mb, between items; nothing is lost or redone and the respawn cap is untouched."""
from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from glossapi_dagster.pool import SUCCESS, PoolConfig, RecyclePolicy, RespawnPolicy, WorkerPool, resolve_devices
from glossapi_dagster_tests.tasks import LeakyTask

pytestmark = pytest.mark.timeout(300)


def run(task, log_dir: Path, items, recycle: RecyclePolicy, respawn_cap: int = 0):
    cfg = PoolConfig(devices=resolve_devices(devices=[0, 1]), log_dir=log_dir, recycle=recycle,
                     respawn=RespawnPolicy(max_retries=respawn_cap))
    return WorkerPool(task, cfg).run(items)


def test_recycled_by_item_count_nothing_lost_or_redone(tmp_path):
    report = run(LeakyTask(delay=0.05), tmp_path / "logs", range(10), RecyclePolicy(max_items=3))
    assert sorted(o.item for o in report.outcomes) == list(range(10))  # each item once
    assert {o.status for o in report.outcomes} == {SUCCESS}
    per_pid = Counter(o.result["pid"] for o in report.outcomes)
    assert max(per_pid.values()) <= 3                 # no process took more than its share
    assert len(per_pid) >= 4                          # 10 items, 3 a process: pids changed
    assert sum(report.recycles.values()) >= 2
    assert report.respawns == {"gpu0": 0, "gpu1": 0}  # recycling is not a crash
    assert not report.exhausted                       # with a respawn cap of 0, a crash would exhaust
    banners = "".join(p.read_text() for p in (tmp_path / "logs").glob("gpu*_*.log"))
    assert "replaces pid" in banners and "max_items_per_worker=3" in banners
    assert "recycled:" in banners                     # the retiring worker's own log says why it left


def test_marker_shows_a_recycling_until_the_replacement_is_bound(tmp_path):
    log_dir = tmp_path / "logs"
    seen: set[str] = set()
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            for marker in log_dir.glob("*.current"):
                try:
                    seen.add(marker.read_text())
                except OSError:
                    pass
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        report = run(LeakyTask(delay=0.05, setup_delay=1.0), log_dir, range(8), RecyclePolicy(max_items=2))
    finally:
        stop.set()
        watcher.join()
    assert sum(report.recycles.values()) >= 2
    recycling = [text for text in seen if text.startswith("recycling: ")]
    assert recycling, seen
    assert any("retired (2 items >= max_items_per_worker=2); pid " in t and t.endswith(" starting\n")
               for t in recycling), recycling
    assert all(marker.read_text() == "" for marker in log_dir.glob("*.current"))  # cleared at the end


def test_recycled_past_the_rss_cap(tmp_path):
    # each item keeps 40 MB: a worker passes a cap of its own start + 60 MB after two items
    probe = run(LeakyTask(), tmp_path / "probe", range(1), RecyclePolicy())
    assert probe.outcomes[0].status == SUCCESS
    base = probe.outcomes[0].result["rss_mb"]  # a worker's RSS after one item that keeps nothing
    report = run(LeakyTask(leak_mb=40), tmp_path / "logs", range(8), RecyclePolicy(max_rss_mb=base + 60))
    assert sorted(o.item for o in report.outcomes) == list(range(8))
    assert sum(report.recycles.values()) >= 1
    assert len({o.result["pid"] for o in report.outcomes}) > 2
    assert report.respawns == {"gpu0": 0, "gpu1": 0}
    banners = "".join(p.read_text() for p in (tmp_path / "logs").glob("gpu*_*.log"))
    assert "max_worker_rss_mb=" in banners


TEN = ["2305.03393v1-pg9.pdf", "amt_handbook_sample.pdf", "multicolumn.pdf", "code_and_formula.pdf",
       "ocr_test.pdf", "typologio_mas026.pdf", "4.5.chain_rule.pdf", "mas002_midterm1_19.pdf",
       "FEK_A_10_-_24.01.2018.pdf", "redp5110_sampled.pdf"]


def _extract_ten(corpus, tmp_path, **recycling):
    from glossapi_dagster.corpus import Corpus
    from glossapi_dagster.state import OutputLayout, ProgressStore
    from glossapi_dagster_tests.conftest import copy_pdfs

    src = copy_pdfs(corpus / "pdfs", tmp_path / "in", TEN)
    out = tmp_path / "out"
    Corpus(src, out, progress=False).extract(accel_type="cpu", devices=[0, 1], phase1_backend="safe", **recycling)
    df = ProgressStore(OutputLayout(out).store_dir).read()
    logs = sorted((out / "logs" / "extract_workers").glob("gpu*_*.log"))
    return df, logs


def test_phase1_workers_recycled_every_three_documents(corpus, tmp_path, dagster_home):
    df, logs = _extract_ten(corpus, tmp_path, max_items_per_worker=3)
    assert len(df) == len(TEN) and set(df["extract_status"]) == {"success"}
    assert set(df["attempts"].astype(int)) == {1}             # nothing redone
    assert len(logs) >= 4                                     # one log a worker process: pids changed
    text = "".join(p.read_text() for p in logs)
    assert text.count("replaces pid") == len(logs) - 2        # every process but the first two replaces one
    assert "died" not in text                                 # not a crash


def test_phase1_workers_recycled_past_a_small_rss_cap(corpus, tmp_path, dagster_home):
    df, logs = _extract_ten(corpus, tmp_path, max_worker_rss_mb=1)  # every worker is past 1 MB after its item
    assert len(df) == len(TEN) and set(df["extract_status"]) == {"success"}
    assert set(df["attempts"].astype(int)) == {1}
    assert len(logs) >= len(TEN)                              # a fresh worker for (nearly) every document
    assert "max_worker_rss_mb=1" in "".join(p.read_text() for p in logs)
