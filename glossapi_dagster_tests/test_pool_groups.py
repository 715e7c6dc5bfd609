"""Short documents handed to a worker together (PoolOptions.batch_pages): one round trip to the
controller for a group of them, each still recorded as it finishes. A worker killed while it holds
a group loses none of the group and converts none of the finished ones again. Real worker
processes, real PDFs (copies of a two-page gazette), a real SIGKILL."""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.timeout(300)

N = 80  # two-page documents: 160 pages, groups of batch_pages=16 (8 documents) by default


def _short_documents(corpus: Path, folder: Path) -> Path:
    """N copies of FEK_A_10 (two pages), each with its own bytes (a comment after %%EOF), so that
    no copy is taken for another."""
    folder.mkdir()
    data = (corpus / "pdfs" / "FEK_A_10_-_24.01.2018.pdf").read_bytes()
    for k in range(N):
        (folder / f"gazette_{k:03d}.pdf").write_bytes(data + f"\n%copy {k:03d}\n".encode())
    return folder


def _worker_pid(log_dir: Path, label: str) -> int | None:
    """The live worker of `label` (its log is <label>_<pid>.log)."""
    for log in sorted(log_dir.glob(f"{label}_*.log"), key=lambda p: p.stat().st_mtime, reverse=True):
        pid = int(log.stem.rsplit("_", 1)[1])
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return pid
        except psutil.NoSuchProcess:
            continue
    return None


# the default (groups of batch_pages), and a batch_size the user set (whose finished documents a
# worker killed later in its batch took with it: they were converted again)
@pytest.mark.parametrize("grouping", [{}, {"batch_size": 8}], ids=["by_pages_default", "batch_size_8"])
def test_a_worker_killed_while_it_holds_a_group_loses_none_and_redoes_none(corpus, tmp_path, dagster_home, grouping):
    from glossapi_dagster.corpus import Corpus
    from glossapi_dagster.state import OutputLayout, ProgressStore

    src = _short_documents(corpus, tmp_path / "in")
    out = tmp_path / "out"
    log_dir, markdown = out / "logs" / "extract_workers", out / "markdown"
    seen: dict = {}

    def kill_mid_group() -> None:
        # the moment gpu1 holds several documents (its marker lists them) and has finished two or
        # more of them but not all: SIGKILL, then note every markdown there is. Two, because the
        # last markdown written may not be reported yet (the worker writes it, then sends its
        # result): that one is in progress, charged and done again; the one before was reported
        marker = log_dir / "gpu1.current"
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not seen:
            try:
                held = [Path(line).stem for line in marker.read_text().splitlines()]
            except OSError:
                held = []
            done = [stem for stem in held if (markdown / f"{stem}.md").exists()]
            pid = _worker_pid(log_dir, "gpu1")
            if len(held) >= 3 and 2 <= len(done) < len(held) and pid:
                os.kill(pid, signal.SIGKILL)
                psutil.Process(pid).wait(10) if psutil.pid_exists(pid) else None
                seen.update(pid=pid, held=held, inodes={p.stem: p.stat().st_ino for p in markdown.glob("*.md")})
            time.sleep(0.001)

    killer = threading.Thread(target=kill_mid_group, daemon=True)
    killer.start()
    Corpus(src, out, progress=False).extract(accel_type="cpu", devices=[0, 1], phase1_backend="safe", **grouping)
    killer.join(10)

    assert seen, "gpu1 never held a group of short documents (one document a hand-over?)"
    df = ProgressStore(OutputLayout(out).store_dir).read().set_index("stem")
    # none lost: every document has its row, done (or failed with its reason: none here)
    assert len(df) == N and set(df["extract_status"]) == {"success"}, df["extract_status"].value_counts()
    # the document in progress when its worker died was charged an attempt and done again; no other
    attempts = df["attempts"].astype(int)
    assert set(attempts) <= {1, 2} and (attempts == 2).sum() <= 1, attempts[attempts > 1]
    charged = set(attempts[attempts == 2].index)
    assert charged <= set(seen["held"])
    # none done twice: what was finished at the kill is the file written then, not a new one
    finished = set(seen["inodes"]) - charged
    assert finished & set(seen["held"]), "no document of the killed group was finished before the kill"
    rewritten = [s for s in finished if (markdown / f"{s}.md").stat().st_ino != seen["inodes"][s]]
    assert not rewritten, f"finished before the kill, converted again: {rewritten}"
    # the killed worker's documents went to its replacement or to gpu0; the respawn was counted
    logs = "".join(p.read_text() for p in log_dir.glob("gpu1_*.log"))
    assert len(list(log_dir.glob("gpu1_*.log"))) >= 2 and f"pid={seen['pid']}" in logs
