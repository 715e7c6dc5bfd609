"""The finished page ranges of long documents, before they are assembled: OUT/ranges/<phase>/<stem>/.

A worker writes each converted range there as one part file (atomically); the controller then
appends the range to the stem's journal (fsync'd). A resumed run trusts a range only when both
are there and the journal's fingerprint is the file's (a replaced PDF starts again). Once the
document is stitched (written atomically like any other) the parts are removed and the journal
gets a `stitched` line: what it recorded before no longer counts, but stays readable.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from .layout import check_stem


class RangeJournal:
    def __init__(self, out_dir: str | os.PathLike, stem: str, fingerprint: str, phase: str = "extract"):
        self.folder = Path(out_dir) / "ranges" / phase / check_stem(stem)
        self.path = self.folder / "journal.jsonl"
        self.fingerprint = fingerprint

    def part(self, first: int, last: int) -> Path:
        return self.folder / f"{first:06d}-{last:06d}.part.zst"

    def record(self, first: int, last: int, status: str, error: str | None = None, worker: str | None = None) -> None:
        """status: done (its part is written) or failed (a single page, after its retries);
        worker: the one that converted it (a later run that only assembles the document names it)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"first": first, "last": last, "status": status, "error": error, "worker": worker,
                           "fingerprint": self.fingerprint}, ensure_ascii=False)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())

    def entries(self) -> list[dict]:
        """What this file's ranges have recorded; a torn last line (a kill mid-append) is ignored."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("status") == "stitched":
                out = []  # a finished document: a later run (reprocess) starts again
            elif entry.get("fingerprint") == self.fingerprint:
                out.append(entry)
        return out

    def history(self) -> list[dict]:
        """Every line ever recorded (tests and people count what each run converted)."""
        try:
            return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines()
                    if line.strip().endswith("}")]
        except FileNotFoundError:
            return []

    def last_worker(self) -> str | None:
        """The worker that converted the last range recorded done (None: none recorded one)."""
        return next((e.get("worker") for e in reversed(self.entries()) if e["status"] == "done" and e.get("worker")),
                    None)

    def finished(self) -> tuple[list[tuple[int, int]], dict[int, str]]:
        """(done ranges whose part is there, failed pages -> reason)."""
        done, failed = [], {}
        for e in self.entries():
            if e["status"] == "done" and self.part(e["first"], e["last"]).is_file():
                done.append((e["first"], e["last"]))
            elif e["status"] == "failed":
                failed[e["first"]] = e.get("error") or "failed"
        return sorted(set(done)), failed

    def close(self) -> None:
        """The document is written (or problematic): its parts (and what a phase kept beside them)
        go, the journal says so."""
        for part in self.folder.glob("*"):
            if part != self.path and part.is_file():
                part.unlink(missing_ok=True)
        if self.folder.is_dir():
            self.record(0, 0, "stitched")


def file_fingerprint(path: str | os.PathLike) -> str:
    """Size and mtime: a replaced input invalidates the ranges of its older version ("none" for a
    file that is not there)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "none"
    return f"{st.st_size}-{st.st_mtime_ns}"
