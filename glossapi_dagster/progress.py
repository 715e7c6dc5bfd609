"""The progress bar of a Corpus call: the store polled while the run works, the documents it
finishes counted (problematic ones apart), with rate and time left."""
from __future__ import annotations

import threading
import time

from .state import ProgressStore

TERMINAL = ("success", "problematic", "skipped")


class _ProgressBar:
    """A terminal bar (done, problematic, rate, time left) fed by polling the progress store."""

    def __init__(self, store: ProgressStore, phase: str, column: str, reprocess: bool, enabled: bool = True,
                 known_total: bool = True, only=None):
        """With known_total, the bar counts the stems pending now (only: of those named); else every
        row the run updates."""
        self.store, self.phase, self.column, self.enabled = store, phase, column, enabled
        self.todo = set(store.pending(column, reprocess=reprocess)) if enabled and known_total else None
        if self.todo and only:
            from .state.names import match_names

            rows, _ = match_names(store.read(["stem", "path"]).to_dict("records"), only)
            self.todo &= {r["stem"] for r in rows}
        self.stop = threading.Event()

    def __enter__(self):
        if self.enabled and self.todo != set():
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()
        return self

    def _run(self) -> None:
        from tqdm import tqdm

        start = time.time()
        with tqdm(total=len(self.todo) if self.todo is not None else None, desc=self.phase, unit="doc") as bar:
            while not self.stop.wait(1.0):
                self._update(bar, start)
            self._update(bar, start)

    def _update(self, bar, start: float) -> None:
        try:
            df = self.store.read(["stem", self.column, "updated_at"])
        except Exception:
            return
        if self.column not in df:
            return
        import pandas as pd

        values = df[self.column]
        # a yes/no column (ocr_success) is finished once set; a status column at a terminal value
        flag = pd.api.types.is_bool_dtype(values.dtype)
        finished = values.notna() if flag or self.todo is None else values.isin(TERMINAL)
        if self.todo is not None:
            finished &= df["stem"].isin(self.todo)
        mine = df[finished.fillna(False).to_numpy(dtype=bool)]
        # a boolean array, not a Series: an empty Series would be read as a selection of columns
        recent = mine["updated_at"].map(lambda t: t is not None and t == t and t.timestamp() >= start - 1)
        mine = mine[recent.to_numpy(dtype=bool, na_value=False)]
        bad = mine[self.column].eq(False) if flag else mine[self.column].isin(("problematic", "fatal"))
        bar.n = len(mine)
        bar.set_postfix(problematic=int(bad.fillna(False).sum()), refresh=False)
        bar.refresh()

    def __exit__(self, *exc):
        self.stop.set()
        if getattr(self, "thread", None):
            self.thread.join(5)
