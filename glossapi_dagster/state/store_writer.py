"""The controller's store rows written by one thread, as a group commit.

Recording a document is a journal file of the progress store (a parquet file, an fsync of it and
of its folder) and, for a fatal one, the skip-list. One file a document made the controller the
bottleneck of short documents: ~10 ms of writing and syncing each, while two workers finish one
every few ms. Here the controller hands the rows over and goes back to its workers; one thread
writes whatever arrived while its last write was being made, and for up to LINGER seconds after
the first of them, as the next journal file: under a steady stream of documents one file (two
fsyncs) takes many; a lone document waits LINGER at most.

The documents' own files are synced here too: a worker writes a document's new files without
waiting for the disk and names them in its result (UNSYNCED); this thread syncs every file of a
group, then their folders once, then writes the rows. So a row is in the store only once the
document's outputs and the row itself are on disk, as before, while the workers go on converting
and many documents share each commit of the filesystem's journal.

Nothing is weaker for it: what a kill -9 of the controller can lose is the rows handed over and
not yet written, as before the batch being written: those documents are pending in the store
and done again by the next run (their outputs replaced atomically).
"""
from __future__ import annotations

import threading
import time
from typing import Iterable

from .atomic import sync_files

UNSYNCED = "unsynced_files"  # the key of a worker's result that lists its document's unsynced files
# Seconds a write waits for more rows after its first (unless GROUP rows are there, or a flush is
# asked for): at 100-200 short documents a second, 5-10 documents share each journal file.
LINGER = 0.05
GROUP = 256


class StoreWriter:
    """put(rows, fatal_stems, files) from the controller; flush() before anyone reads the store for
    the run's result. A failed write (a full disk) is raised by the next put() or flush()."""

    def __init__(self, store, skiplist=None):
        self.store, self.skiplist = store, skiplist
        self._rows: list[dict] = []
        self._fatal: list[str] = []
        self._files: list[str] = []
        self._queued = 0      # rows, stems and files handed over so far
        self._written = 0     # of those, written (or failed)
        self._error: BaseException | None = None
        self._closed = False
        self._flushing = 0    # callers waiting in flush(): no lingering then
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="glossapi-store-writer", daemon=True)
        self._thread.start()

    def put(self, rows: Iterable[dict], fatal: Iterable[str] = (), files: Iterable[str] = ()) -> None:
        """rows for the store, stems for the skip-list, and files to sync before either."""
        rows, fatal, files = list(rows), list(fatal), list(files)
        with self._cond:
            self._raise()
            if not rows and not fatal and not files:
                return
            self._rows += rows
            self._fatal += fatal
            self._files += files
            self._queued += len(rows) + len(fatal) + len(files)
            self._cond.notify_all()

    def flush(self) -> None:
        """Wait until everything handed over is in the store."""
        with self._cond:
            self._flushing += 1
            self._cond.notify_all()
            try:
                while self._written < self._queued and self._error is None:
                    self._cond.wait()
            finally:
                self._flushing -= 1
            self._raise()

    def close(self) -> None:
        """Stop the thread once what it holds is written (errors are left to flush)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while True:
            with self._cond:
                while not (self._rows or self._fatal or self._files or self._closed):
                    self._cond.wait()
                if not (self._rows or self._fatal or self._files):
                    return  # closed, nothing left
                deadline = time.monotonic() + LINGER
                while (len(self._rows) < GROUP and not self._closed and not self._flushing
                       and (left := deadline - time.monotonic()) > 0):
                    self._cond.wait(left)
                rows, fatal, files = self._rows, self._fatal, self._files
                self._rows, self._fatal, self._files = [], [], []
            try:
                sync_files(files)
                if rows:
                    self.store.upsert(rows)
                if fatal and self.skiplist is not None:
                    self.skiplist.add(fatal)
                self.store.maybe_compact()
            except BaseException as exc:  # the controller raises it: the run stops, these stay pending
                with self._cond:
                    self._error = exc
                    self._written += len(rows) + len(fatal) + len(files)
                    self._cond.notify_all()
                return
            with self._cond:
                self._written += len(rows) + len(fatal) + len(files)
                self._cond.notify_all()
