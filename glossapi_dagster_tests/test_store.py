"""The progress store, the skip-list and the manifest, on real files (and real processes)."""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from glossapi_dagster.state import ProgressStore, SkipList
from glossapi_dagster.state.layout import check_stem
from glossapi_dagster.state.manifest import canonical_stem, sha256_of, update_manifest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(120)


# -- helpers ----------------------------------------------------------------------------
def as_dict(store: ProgressStore, column: str) -> dict:
    df = store.read(["stem", column])
    if column not in df:
        return {}
    return {s: (None if pd.isna(v) else v) for s, v in zip(df["stem"], df[column])}


def python(code: str, *args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *map(str, args)], env=env, **kw)


def visible_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


# -- merge semantics -------------------------------------------------------------------------
def test_upsert_merges_per_column(tmp_path):
    store = ProgressStore(tmp_path)
    assert store.read().empty and store.pending() == []
    store.upsert([{"stem": "a", "extract_status": "problematic", "extract_error": "boom", "page_count": 3},
                  {"stem": "b", "extract_status": "success", "page_count": 1}])
    store.upsert([{"stem": "a", "chars": 100}])                                    # partial: erases nothing
    store.upsert([{"stem": "a", "extract_status": "success", "extract_error": None}])  # last write wins, None clears
    store.upsert([{"stem": "c", "filename": "c.pdf"}])                              # a new stem
    store.upsert([{"stem": "b", "page_count": 2}, {"stem": "b", "page_count": 5}])  # last row of a batch wins

    df = store.read()
    assert sorted(df["stem"]) == ["a", "b", "c"]
    assert as_dict(store, "extract_status") == {"a": "success", "b": "success", "c": None}
    assert as_dict(store, "extract_error") == {"a": None, "b": None, "c": None}
    assert as_dict(store, "page_count") == {"a": 3, "b": 5, "c": None}
    assert as_dict(store, "chars") == {"a": 100, "b": None, "c": None}
    assert as_dict(store, "filename") == {"a": None, "b": None, "c": "c.pdf"}
    assert df["updated_at"].notna().all()
    # runs of same-columns journal files interleaved with others keep their write order
    for value in (10, 11):
        store.upsert([{"stem": "d", "page_count": value}, {"stem": "e", "page_count": value}])
    store.upsert([{"stem": "d", "chars": 7}])
    store.upsert([{"stem": "d", "page_count": 12}])
    store.upsert([{"stem": "e", "size": 1}])
    assert as_dict(store, "page_count")["d"] == 12 and as_dict(store, "page_count")["e"] == 11
    # only the columns asked for
    assert list(store.read(["stem", "page_count"]).columns) == ["stem", "page_count"]
    with pytest.raises(ValueError):
        store.upsert([{"page_count": 1}])
    # a column the schema does not know, inferred differently batch by batch, keeps every value
    store.upsert([{"stem": "a", "note": 1}, {"stem": "b", "note": 2}])
    store.upsert([{"stem": "b", "note": 2.5}])
    assert as_dict(store, "note") == {"a": 1, "b": 2.5, "c": None, "d": None, "e": None}
    store.upsert([{"stem": "c", "note": "text"}])
    store.compact()
    assert as_dict(store, "note") == {"a": "1", "b": "2.5", "c": "text", "d": None, "e": None}


def test_compact_folds_the_journal_and_keeps_every_value(tmp_path):
    store = ProgressStore(tmp_path)
    for i in range(30):
        store.upsert([{"stem": f"s{j}", "attempts": i, "worker": f"gpu{i % 2}"} for j in range(i, i + 8)])
    store.upsert([{"stem": "s0", "extract_status": "success"}])
    before = store.read().sort_values("stem").reset_index(drop=True)
    assert len(list(store.journal.glob("*.parquet"))) == 31
    store.compact()
    assert list(store.journal.glob("*.parquet")) == []
    assert store.path.exists()
    after = store.read().sort_values("stem").reset_index(drop=True)
    pd.testing.assert_frame_equal(before[sorted(before.columns)], after[sorted(after.columns)], check_dtype=False)
    assert as_dict(store, "attempts")["s5"] == 5 and as_dict(store, "attempts")["s36"] == 29
    # writes after a compaction land over the base; compacting twice changes nothing
    store.upsert([{"stem": "s5", "attempts": 99}, {"stem": "new", "attempts": 1}])
    store.compact()
    store.compact()
    assert as_dict(store, "attempts")["s5"] == 99 and as_dict(store, "attempts")["new"] == 1
    assert as_dict(store, "extract_status")["s0"] == "success"
    assert len(store.read()) == 38


def test_maybe_compact_only_past_the_threshold(tmp_path):
    store = ProgressStore(tmp_path)
    for i in range(5):
        store.upsert([{"stem": f"s{i}"}])
    store.maybe_compact(threshold=5)
    assert len(list(store.journal.glob("*.parquet"))) == 5
    store.upsert([{"stem": "s5"}])
    store.maybe_compact(threshold=5)
    assert list(store.journal.glob("*.parquet")) == [] and len(store.read()) == 6


def test_pending_returns_exactly_the_unfinished(tmp_path):
    store = ProgressStore(tmp_path)
    store.upsert([
        {"stem": "new", "download_success": True, "missing": False},
        {"stem": "done", "download_success": True, "extract_status": "success"},
        {"stem": "bad", "download_success": True, "extract_status": "problematic", "extract_error": "x"},
        {"stem": "skipped", "download_success": True, "extract_status": "skipped"},
        {"stem": "fatal", "download_success": True, "extract_status": "skipped"},
        {"stem": "gone", "download_success": True, "missing": True},
        {"stem": "undownloaded", "download_success": False},
        {"stem": "bare"},
    ])
    store.upsert([{"stem": "done", "math_status": "success"}, {"stem": "new", "math_status": "problematic"}])
    skip = {"fatal"}
    assert sorted(store.pending(skip=skip)) == ["bare", "new", "skipped"]
    assert sorted(store.pending(skip=skip, reprocess=True)) == ["bad", "bare", "new", "skipped"]
    assert sorted(store.pending()) == ["bare", "fatal", "new", "skipped"]
    assert sorted(store.pending(stems=["new", "done", "bad", "gone", "nonexistent"], skip=skip)) == ["new"]
    assert sorted(store.pending(stems=[], skip=skip)) == []
    assert sorted(store.pending("math_status", skip=skip)) == ["bad", "bare", "skipped"]
    # finishing an item takes it off the list; a compaction changes nothing
    store.upsert([{"stem": "new", "extract_status": "success"}])
    store.compact()
    assert sorted(store.pending(skip=skip)) == ["bare", "skipped"]
    # a file that comes back is pending again
    store.upsert([{"stem": "gone", "missing": False}])
    assert sorted(store.pending(skip=skip)) == ["bare", "gone", "skipped"]


# -- crashes and concurrency ------------------------------------------------------------------
def _big_store(folder: Path, n_rows: int, n_journal: int) -> dict:
    """A base of n_rows plus a journal updating some of them and adding new ones; the
    expected page_count of every stem after the merge."""
    store = ProgressStore(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stems = [f"doc{i:07d}" for i in range(n_rows)]
    pq.write_table(pa.table({
        "stem": pa.array(stems),
        "extract_status": pa.array(["success"] * n_rows),
        "page_count": pa.array(np.arange(n_rows), pa.int64()),
        "path": pa.array([f"/in/{s}.pdf" for s in stems]),
    }), store.path)
    expected = dict(zip(stems, range(n_rows)))
    rng = random.Random(1)
    for j in range(n_journal):
        rows = [{"stem": f"doc{rng.randrange(n_rows):07d}", "page_count": -j} for _ in range(6)]
        rows += [{"stem": f"new{j:04d}_{k}", "page_count": j} for k in range(2)]
        store.upsert(rows)
        expected.update((r["stem"], r["page_count"]) for r in rows)
    return expected


def _assert_store_is(store: ProgressStore, expected: dict) -> None:
    df = store.read(["stem", "page_count"])
    assert len(df) == len(expected) and df["stem"].is_unique
    got = dict(zip(df["stem"], df["page_count"].astype("int64")))
    assert got == expected


COMPACT = """
    import sys
    from glossapi_dagster.state import ProgressStore
    store = ProgressStore(sys.argv[1])
    print("go", flush=True)
    store.compact()
    print("done", flush=True)
"""


def test_a_kill_during_compaction_leaves_a_readable_complete_store(tmp_path):
    pristine = tmp_path / "pristine"
    expected = _big_store(pristine, 100_000, 40)

    # How long an undisturbed compaction takes, to aim the kills inside it.
    undisturbed = tmp_path / "undisturbed"
    shutil.copytree(pristine, undisturbed)
    proc = python(COMPACT, undisturbed, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "go\n"
    t0 = time.monotonic()
    assert proc.stdout.readline() == "done\n"
    span = time.monotonic() - t0
    assert proc.wait() == 0
    _assert_store_is(ProgressStore(undisturbed), expected)

    # a temp copy of the base left by a compaction killed while writing it is cleared
    stale = undisturbed / ".download_results.parquet.abc123.tmp"
    stale.write_bytes(b"PAR1 half a file")
    ProgressStore(undisturbed).compact()
    assert not stale.exists()
    _assert_store_is(ProgressStore(undisturbed), expected)

    rng = random.Random(7)
    moments = [0.5, 0.95] + [rng.uniform(0.0, 1.1) for _ in range(2)]
    for n, fraction in enumerate(moments):
        folder = tmp_path / f"kill{n}"
        shutil.copytree(pristine, folder)
        proc = python(COMPACT, folder, stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline() == "go\n"
        time.sleep(fraction * span)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        store = ProgressStore(folder)
        _assert_store_is(store, expected)
        pq.read_table(store.path)  # the base itself is a whole parquet file
        store.compact()            # and the next compaction finishes the job
        assert list(store.journal.glob("*.parquet")) == []
        assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []
        _assert_store_is(store, expected)


def test_a_compaction_cut_short_between_replace_and_cleanup_reads_the_same(tmp_path):
    # The crash window after the new base is in place but before the folded journal files
    # are all deleted (oldest first): what is left is a suffix of the journal, re-applied
    # over a base that already holds it. That must change nothing.
    store = ProgressStore(tmp_path / "s")
    expected = _big_store(store.folder, 2_000, 30)
    saved = tmp_path / "saved"
    shutil.copytree(store.journal, saved)
    store.compact()
    _assert_store_is(store, expected)
    names = sorted(p.name for p in saved.glob("*.parquet"))
    for keep in (1, 7, 29):
        for name in names[-keep:]:
            shutil.copy2(saved / name, store.journal / name)
        _assert_store_is(store, expected)
        store.compact()
        _assert_store_is(store, expected)


WRITER = """
    import sys
    from glossapi_dagster.state import ProgressStore
    folder, name, n, batch, compact_every = sys.argv[1:6]
    store = ProgressStore(folder)
    n, batch, compact_every = int(n), int(batch), int(compact_every)
    print("go", flush=True)
    for b, start in enumerate(range(0, n, batch)):
        store.upsert([{"stem": f"{name}-{i:06d}", "worker": name, "page_count": i, "attempts": b}
                      for i in range(start, min(n, start + batch))])
        if compact_every and b % compact_every == compact_every - 1:
            store.compact()
"""


def test_a_kill_while_persisting_loses_at_most_the_batch_being_written(tmp_path):
    for n, wait in enumerate((0.3, 0.5, 0.8)):
        folder = tmp_path / f"s{n}"
        proc = python(WRITER, folder, "w", 100_000, 8, 25, stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline() == "go\n"
        time.sleep(wait)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        df = ProgressStore(folder).read(["stem", "page_count", "attempts"])
        assert len(df) > 0 and len(df) % 8 == 0          # whole batches only
        # the batches that made it are exactly the first ones, each complete
        assert sorted(df["page_count"].astype(int)) == list(range(len(df)))
        assert sorted(set(df["attempts"].astype(int))) == list(range(len(df) // 8))


def test_two_concurrent_writers_lose_nothing(tmp_path):
    folder = tmp_path / "store"
    n = 2000
    writers = [python(WRITER, folder, name, n, 8, 40, stdout=subprocess.PIPE, text=True) for name in ("a", "b")]
    for w in writers:
        assert w.stdout.readline() == "go\n"
    for w in writers:
        assert w.wait(100) == 0
    store = ProgressStore(folder)
    df = store.read(["stem", "worker", "page_count"])
    assert len(df) == 2 * n and df["stem"].is_unique
    for name in ("a", "b"):
        mine = df[df["worker"] == name]
        assert sorted(mine["page_count"].astype(int)) == list(range(n))
        assert all(s == f"{name}-{p:06d}" for s, p in zip(mine["stem"], mine["page_count"]))
    store.compact()
    assert len(store.read()) == 2 * n


# -- skip-list ---------------------------------------------------------------------------------
def test_skiplist_sorted_unique_atomic(tmp_path):
    path = tmp_path / "skiplists" / "fatal_skip.txt"
    skip = SkipList(path)
    assert skip.read() == set()
    skip.add(["zeta", "alpha", "μ-stem", "alpha"])
    skip.add([])
    assert path.read_text(encoding="utf-8") == "alpha\nzeta\nμ-stem\n"
    inode = path.stat().st_ino
    skip.add(["beta"])
    assert path.read_text(encoding="utf-8") == "alpha\nbeta\nzeta\nμ-stem\n"
    assert path.stat().st_ino != inode      # replaced by a rename, never rewritten in place
    skip.remove(["zeta", "absent"])
    assert skip.read() == {"alpha", "beta", "μ-stem"}
    assert sorted(p.name for p in path.parent.iterdir() if not p.name.endswith(".lock")) == ["fatal_skip.txt"]


def test_skiplist_concurrent_adds_lose_nothing(tmp_path):
    path = tmp_path / "fatal_skip.txt"
    code = """
        import sys
        from glossapi_dagster.state import SkipList
        skip = SkipList(sys.argv[1])
        for i in range(150):
            skip.add([f"{sys.argv[2]}{i:04d}"])
    """
    procs = [python(code, path, name) for name in ("a", "b")]
    assert [p.wait(60) for p in procs] == [0, 0]
    lines = path.read_text().splitlines()
    assert lines == sorted(f"{n}{i:04d}" for n in "ab" for i in range(150))


# -- manifest ----------------------------------------------------------------------------------
def _touch(path: Path, data: bytes = b"%PDF-1.4 test") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_manifest_adds_flags_and_shards(tmp_path):
    inp, store = tmp_path / "in", ProgressStore(tmp_path / "out" / "download_results")
    _touch(inp / "paper.pdf", b"one")
    _touch(inp / "a" / "paper.pdf", b"two")
    _touch(inp / "b" / "paper.PDF", b"three")
    _touch(inp / "a__paper.pdf", b"four")           # would clash with a/paper.pdf
    _touch(inp / "notes.txt")                         # not a pdf

    first = update_manifest(store, inp, "pdf", shard_size=3)
    assert len(first.new_rows) == 4 and first.total == 4
    assert first.new_shards == ["shard-00000", "shard-00001"]
    df = store.read().set_index("path")
    assert len(df) == 4 and df["stem"].is_unique
    for path, row in df.iterrows():
        assert Path(path).is_absolute() and Path(path).exists()
        assert row["sha256"] == sha256_of(Path(path)) and row["size"] == Path(path).stat().st_size
        assert row["download_success"] and not row["missing"]
        check_stem(row["stem"])
    assert df.loc[str(inp / "paper.pdf"), "stem"] == "paper"
    assert df.loc[str(inp / "b" / "paper.PDF"), "stem"] == "b__paper"
    assert {df.loc[str(inp / "a" / "paper.pdf"), "stem"], df.loc[str(inp / "a__paper.pdf"), "stem"]} & {"a__paper"}
    assert sorted(df["shard"].value_counts()) == [1, 3]
    assert sorted(store.pending()) == sorted(df["stem"])

    # a rerun adds nothing and writes nothing
    mtime = store.path.stat().st_mtime_ns
    again = update_manifest(store, inp, "pdf", shard_size=3)
    assert (again.new_rows, again.new_shards, again.vanished, again.total) == ([], [], [], 4)
    assert store.path.stat().st_mtime_ns == mtime and list(store.journal.glob("*.parquet")) == []

    # a new file: a new shard only for it; old rows keep theirs
    shards_before = dict(zip(store.read()["stem"], store.read()["shard"]))
    _touch(inp / "c" / "late.pdf", b"five")
    late = update_manifest(store, inp, "pdf", shard_size=3)
    assert [r["stem"] for r in late.new_rows] == ["c__late"] and late.new_shards == ["shard-00002"]
    now = dict(zip(store.read()["stem"], store.read()["shard"]))
    assert now.pop("c__late") == "shard-00002" and now == shards_before

    # a deleted file is flagged missing, not removed, and is no longer pending
    (inp / "paper.pdf").unlink()
    gone = update_manifest(store, inp, "pdf", shard_size=3)
    assert gone.vanished == ["paper"] and gone.new_rows == []
    assert len(store.read()) == 5 and as_dict(store, "missing")["paper"] is True
    assert "paper" not in store.pending()
    assert update_manifest(store, inp, "pdf").vanished == []   # flagged once
    # and it comes back
    _touch(inp / "paper.pdf", b"one")
    back = update_manifest(store, inp, "pdf")
    assert back.returned == ["paper"] and as_dict(store, "missing")["paper"] is False
    assert "paper" in store.pending()


def test_manifest_symlink_outside_the_input_is_problematic(tmp_path):
    inp, outside = tmp_path / "in", tmp_path / "secret"
    _touch(outside / "x.pdf", b"secret")
    _touch(inp / "ok.pdf")
    (inp / "escape.pdf").symlink_to(outside / "x.pdf")
    (inp / "inside.pdf").symlink_to(inp / "ok.pdf")
    (inp / "dir").symlink_to(outside, target_is_directory=True)   # never descended
    store = ProgressStore(tmp_path / "store")
    update_manifest(store, inp, "pdf")
    df = store.read().set_index("stem")
    assert sorted(df.index) == ["escape", "inside", "ok"]
    assert df.loc["escape", "extract_status"] == "problematic"
    assert "outside the input folder" in df.loc["escape", "extract_error"]
    assert not df.loc["escape", "download_success"] and pd.isna(df.loc["escape", "sha256"])
    assert df.loc["inside", "download_success"] and df.loc["inside", "sha256"] == sha256_of(inp / "ok.pdf")
    assert sorted(store.pending()) == ["inside", "ok"]


def test_manifest_stems_of_hostile_names_are_safe(tmp_path):
    inp = tmp_path / "in"
    names = ["a b.pdf", "Ελληνικά κείμενα.pdf", "quo'te\"s.pdf", "new\nline.pdf", "-dash.pdf", "--.pdf",
             ".hidden.pdf", "back\\slash.pdf", "tab\there.pdf", "x" * 240 + ".pdf", "sub dir/Ω.pdf"]
    for name in names:
        _touch(inp / name)
    store = ProgressStore(tmp_path / "store")
    update = update_manifest(store, inp, "pdf")
    stems = [r["stem"] for r in update.new_rows]
    assert len(stems) == len(names) == len(set(stems))
    for stem in stems:
        assert check_stem(stem) == stem
        assert "/" not in stem and "\n" not in stem and "\\" not in stem
        assert not stem.startswith(("-", "."))
        assert len(stem.encode("utf-8")) <= 200
    assert "Ελληνικά κείμενα" in stems and "a b" in stems and "quo'te\"s" in stems
    # every stem names a file inside the output folder
    out = tmp_path / "out" / "markdown"
    for stem in stems:
        assert (out / f"{stem}.md").resolve().parent == out.resolve()


def test_canonical_stem_clashes_get_a_hash():
    from pathlib import PurePosixPath

    taken: set[str] = set()
    a = canonical_stem(PurePosixPath("a/b.pdf"), taken)
    b = canonical_stem(PurePosixPath("a__b.pdf"), taken)
    c = canonical_stem(PurePosixPath("a__b.PDF"), taken)
    assert a == "a__b" and len({a, b, c}) == 3 and b.startswith("a__b-")


def test_atomic_write_files_replaces_all_or_leaves_no_temp(tmp_path):
    from glossapi_dagster.state.atomic import atomic_write_files

    md, js = tmp_path / "markdown" / "a.md", tmp_path / "json" / "a.json"
    atomic_write_files([(js, b"{}"), (md, "κείμενο".encode())])
    assert js.read_bytes() == b"{}" and md.read_text(encoding="utf-8") == "κείμενο"
    inode = md.stat().st_ino
    (tmp_path / "blocked").write_text("a file where a folder should be")
    with pytest.raises(OSError):
        atomic_write_files([(js, b"{1}"), (tmp_path / "blocked" / "x.json", b"x"), (md, b"new")])
    # nothing was renamed (the failure came before the first rename), and no temp file is left
    assert js.read_bytes() == b"{}" and md.stat().st_ino == inode
    assert not [p for p in tmp_path.rglob("*.tmp")]
