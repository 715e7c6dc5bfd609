"""Claims as hard links to one owner file a run writes once (state/claims.py): each claim reads as
its owner, a run killed with its claims leaves them to the next run, and release removes exactly
ours. Real processes, real links on the test's filesystem."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from glossapi_dagster.state.claims import Claims

CLAIM_AND_WAIT = """
import sys, time
from pathlib import Path
from glossapi_dagster.state.claims import Claims
claims = Claims(Path(sys.argv[1]), "extract")
print(len(claims.claim(sys.argv[2].split(","))), flush=True)
time.sleep(600)
"""


def _claim_in_a_process(folder, stems: list[str]) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", CLAIM_AND_WAIT, str(folder), ",".join(stems)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == str(len(stems))
    return proc


def test_a_runs_claims_are_links_to_one_owner_file_and_read_as_their_owner(tmp_path):
    stems = [f"doc{i}" for i in range(50)]
    claims = Claims(tmp_path, "extract")
    assert claims.claim(stems) == stems
    inodes = {os.stat(claims.folder / s).st_ino for s in stems}
    assert len(inodes) == 1, "each claim is a link to the run's one owner file, not a file of its own"
    owner_files = list(claims.owners.iterdir())
    assert len(owner_files) == 1 and os.stat(owner_files[0]).st_nlink == len(stems) + 1
    assert claims.owner("doc7")["pid"] == os.getpid()
    assert claims.active() == set(stems)
    claims.release()
    assert not list(claims.folder.iterdir()) and not list(claims.owners.iterdir())


def test_a_live_runs_claims_hold_and_a_killed_runs_are_taken_over(tmp_path):
    other = _claim_in_a_process(tmp_path, ["a", "b", "c"])
    try:
        mine = Claims(tmp_path, "extract")
        assert mine.claim(["a", "b", "x"]) == ["x"], "a live run keeps what it claimed"
        other.send_signal(signal.SIGKILL)
        other.wait()
        assert sorted(mine.claim(["a", "b"])) == ["a", "b"], "a killed run's claims are stale"
        assert mine.owner("a")["pid"] == os.getpid()
        left = Claims(tmp_path, "extract")
        mine.release()
        # the dead run's claim of "c" stays until a run wants it; ours are gone
        assert sorted(p.name for p in mine.folder.iterdir()) == ["c"]
        assert left.claim(["c"]) == ["c"]
        left.release()
    finally:
        if other.poll() is None:
            other.kill()
            other.wait()


def test_an_owner_file_nothing_links_to_any_more_is_removed(tmp_path):
    """A killed run's owner file, once every claim linking to it was taken over, goes when a later
    run writes its own (after a minute: a starting run's owner file is not yet linked)."""
    other = _claim_in_a_process(tmp_path, ["a"])
    other.send_signal(signal.SIGKILL)
    other.wait()
    taker = Claims(tmp_path, "extract")
    assert taker.claim(["a"]) == ["a"]
    dead = [p for p in taker.owners.iterdir() if os.stat(p).st_nlink == 1]
    assert len(dead) == 1
    old = time.time() - 120
    os.utime(dead[0], (old, old))
    later = Claims(tmp_path, "extract")
    assert later.claim(["b"]) == ["b"]
    assert not dead[0].exists()
    assert taker.owner("a")["pid"] == os.getpid()  # what was linked is untouched
    taker.release()
    later.release()
