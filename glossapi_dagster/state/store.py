"""The progress store: download_results/download_results.parquet plus an append-only journal.

Persisting a batch writes one small parquet file into `journal/` (cost ~ the batch, not the
corpus). Readers merge the base file with the journal; `compact()` folds the journal into the
base under an exclusive lock. Every file is written atomically, so a crash at any instant
leaves a readable store and loses at most the batch being written. Journal files have unique
names, so two processes writing at once lose none of each other's rows.
"""
from __future__ import annotations

import os
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .atomic import atomic_write, file_lock
from .errors import DamagedStore
from .fspath import from_store, to_store
from .schema import KEY, arrow_type

PATH = "path"  # kept in the stored form of state/fspath.py: a name that is not UTF-8 survives

COMPACT_AFTER = 512  # journal files; folded in at the end of a run and whenever it grows past this
# rows a parquet row group holds: a reader of batches() holds one row group, not the whole file
ROW_GROUP = 2048


class ProgressStore:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / "download_results.parquet"
        self.journal = self.folder / "journal"
        self._lock = self.folder / ".store.lock"
        # journal files at the last listing, and written by this object since: maybe_compact lists
        # the folder (O(files), every batch of a run) only when these say a compaction may be due
        self._listed: int | None = None
        self._since = 0
        # the journal files this object wrote, by name, as the tables it wrote: a compaction (a run's
        # last step) folds them in without reading back what it has in hand (~0.1 ms of CPU a short
        # document). read() still reads every file, so a file damaged on disk since is still named.
        self._written: dict[str, pa.Table] = {}

    # -- writing ------------------------------------------------------------------------
    def upsert(self, rows: Iterable[dict]) -> None:
        """Record updates: each row has the key `stem` and only the columns it changes."""
        groups: dict[tuple, list[dict]] = {}
        now = datetime.now(timezone.utc)
        for row in rows:
            if not row.get(KEY):
                raise ValueError(f"a store row needs a {KEY!r}: {row!r}")
            row = {**row, "updated_at": now}
            groups.setdefault(tuple(sorted(row)), []).append(row)
        for columns, group in groups.items():
            self._write_journal(_to_table(group, columns))

    def _write_journal(self, table: pa.Table) -> None:
        self.journal.mkdir(parents=True, exist_ok=True)
        # Names sort by time, so the journal replays in write order.
        name = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}.parquet"
        atomic_write(self.journal / name, lambda tmp: pq.write_table(table, tmp, compression="zstd", row_group_size=ROW_GROUP))
        self._since += 1
        self._written[name] = table
        if len(self._written) > COMPACT_AFTER:  # folded in by another process's compaction: not kept
            del self._written[next(iter(self._written))]

    def compact(self) -> None:
        """Fold the journal into download_results.parquet (exclusive: readers wait a moment)."""
        with file_lock(self._lock):
            # Temp copies of the base left by a compaction killed mid-write (only a compaction,
            # under this lock, writes them; each is as big as the store).
            for stale in self.folder.glob(f".{self.path.name}.*.tmp"):
                stale.unlink(missing_ok=True)
            files = self._journal_files()
            if not files:
                return
            table = _merge(self._read_base(None), _read_journal(files, None, self._written))
            atomic_write(self.path, lambda tmp: pq.write_table(table, tmp, compression="zstd", row_group_size=ROW_GROUP))
            for f in files:  # only those folded in; a file another process adds meanwhile stays
                f.unlink(missing_ok=True)
                self._written.pop(f.name, None)
            self._listed, self._since = 0, 0

    def maybe_compact(self, threshold: int = COMPACT_AFTER) -> None:
        """Compact once the journal holds more than `threshold` files. Files other processes write
        are seen at the next listing, which this store's own writes bring on."""
        if self._listed is not None and self._listed + self._since <= threshold:
            return
        self._listed, self._since = len(self._journal_files()), 0
        if self._listed > threshold:
            self.compact()

    # -- reading ------------------------------------------------------------------------
    def read(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The merged store, one row per stem (columns: all, or the ones asked for, with the key)."""
        if columns is not None and KEY not in columns:
            columns = [KEY, *columns]
        with file_lock(self._lock, shared=True):
            files = self._journal_files()
            table = _merge(self._read_base(columns), _read_journal(files, columns))
        df = table.to_pandas(types_mapper=pd.ArrowDtype)
        if _holds_escaped_paths(table):
            # names that are not UTF-8 (state/fspath.py): Python strings arrow cannot hold
            df[PATH] = pd.Series([from_store(v) for v in df[PATH].astype(object)], index=df.index, dtype=object)
        return df

    def batches(self, rows: int = 1024) -> Iterator[pa.RecordBatch]:
        """The store as it was written, a batch at a time: the base, then the journal in write order.
        Replaying them (per column, the last value written wins) gives read()'s rows without
        holding them all (the training export keeps them on disk). Under the shared lock, so a
        compaction cannot fold the journal into the base between the two."""
        with file_lock(self._lock, shared=True):
            files = ([self.path] if self.path.exists() else []) + self._journal_files()
            for path in files:
                try:
                    reader = pq.ParquetFile(path, buffer_size=1 << 16, pre_buffer=False)
                except FileNotFoundError:
                    continue
                except pa.ArrowInvalid as exc:
                    raise DamagedStore(f"damaged store file {path}: {exc}") from exc
                yield from reader.iter_batches(batch_size=rows, use_threads=False)

    def pending(
        self,
        status_column: str = "extract_status",
        stems: Iterable[str] | None = None,
        reprocess: bool = False,
        skip: set[str] = frozenset(),
    ) -> list[str]:
        """What still needs doing: not success, not skip-listed, not problematic (unless reprocess),
        not a vanished file; restricted to `stems` when given."""
        df = self.read([KEY, status_column, "missing", "download_success"])
        if df.empty:
            return []
        status = _col(df, status_column)
        todo = status.ne("success").fillna(True)
        if not reprocess:
            todo &= status.ne("problematic").fillna(True)
        todo &= ~_col(df, "missing").fillna(False).astype(bool)
        todo &= _col(df, "download_success").fillna(True).astype(bool)
        found = df.loc[todo.to_numpy(dtype=bool), KEY]
        if stems is not None:
            found = found[found.isin(set(stems))]
        return [s for s in found.tolist() if s not in skip]

    def _read_base(self, columns: list[str] | None) -> pa.Table:
        if not self.path.exists():
            return pa.table({KEY: pa.array([], pa.string())})
        try:
            schema_names = pq.read_schema(self.path).names
            wanted = None if columns is None else [c for c in columns if c in schema_names]
            return pq.read_table(self.path, columns=wanted)
        except pa.ArrowInvalid as exc:  # truncated, or not parquet at all
            raise DamagedStore(f"damaged store file {self.path} (the base of the progress store): {exc}; "
                               f"restore it from a backup or move it aside to rebuild") from exc

    def orphans(self) -> int | None:
        """When the base is gone but the journal is not (someone deleted download_results.parquet):
        how many journal rows lost the manifest part of their row (no path); None when intact."""
        if self.path.exists() or not self._journal_files():
            return None
        df = self.read(["path", "url"])
        lost = df["path"].isna() if "path" in df else df["stem"].notna()
        if "url" in df:  # a link that failed to download never had a path
            lost &= df["url"].isna()
        return int(lost.sum())

    def _journal_files(self) -> list[Path]:
        if not self.journal.exists():
            return []
        return sorted(p for p in self.journal.iterdir() if p.suffix == ".parquet" and not p.name.startswith("."))


def _holds_escaped_paths(table: pa.Table) -> bool:
    if PATH not in table.column_names or not pa.types.is_string(table.schema.field(PATH).type):
        return False
    return bool(pc.any(pc.match_substring(table[PATH], "\x00")).as_py())


def _to_table(rows: list[dict], columns: tuple) -> pa.Table:
    arrays = {c: pa.array(values, type=arrow_type(c, values)) for c in columns
              for values in [[to_store(r.get(c)) if c == PATH else r.get(c) for r in rows]]}
    return pa.table(arrays)


def _read_journal(files: list[Path], columns: list[str] | None, written: dict | None = None) -> list[pa.Table]:
    """The journal as tables, in write order. Consecutive files with one schema (the usual case:
    every batch of a run has the same columns) become one table. `written`: tables in hand, by
    file name (those this process wrote: a file never changes once written)."""
    runs: list[list[pa.Table]] = []
    for path in files:
        try:
            table = (written or {}).get(path.name)
            if table is None:
                table = pq.ParquetFile(path).read(use_threads=False)  # small; read_table costs ~4x more
        except FileNotFoundError:  # folded in by a compaction since it was listed
            continue
        except pa.ArrowInvalid as exc:
            raise DamagedStore(f"damaged store file {path} (a journal file of the progress store): {exc}; "
                               f"move it aside to read the rest") from exc
        if columns is not None:
            table = table.select([c for c in columns if c in table.column_names])
        if runs and runs[-1][0].schema == table.schema:
            runs[-1].append(table)
        else:
            runs.append([table])
    return [pa.concat_tables(run) for run in runs]


def _merge(base: pa.Table, updates: list[pa.Table]) -> pa.Table:
    """Replay journal tables in order: per column, the last value written for each stem wins.

    A table only carries the columns it sets, so an absent column never erases a value; stems
    new to the base follow it, sorted. In Arrow throughout: pandas' indexing cost a run's final
    compaction ~0.3 s for a few dozen rows.
    """
    if not updates:
        return base
    base = base.combine_chunks()
    base_keys = base[KEY].combine_chunks()
    written_keys = pa.concat_arrays([u[KEY].combine_chunks() for u in updates])
    new = pc.unique(written_keys.filter(pc.invert(pc.is_in(written_keys, value_set=base_keys))))
    new = new.take(pc.sort_indices(new))
    keys = pa.concat_arrays([base_keys, new.cast(base_keys.type)])
    columns = {name: _extend(base[name].combine_chunks(), len(new)) for name in base.column_names}
    columns[KEY] = keys
    last_writes: dict[tuple[int, ...], pa.Array] = {}  # per set of tables: each key's last row in them
    for name in dict.fromkeys(c for u in updates for c in u.column_names if c != KEY):
        parts = [u for u in updates if name in u.column_names]
        which = tuple(i for i, u in enumerate(updates) if name in u.column_names)
        if which not in last_writes:  # the usual case, one schema for a whole run: once for every column
            stems = pa.concat_arrays([u[KEY].combine_chunks() for u in parts])[::-1]
            last_writes[which] = pc.index_in(keys, value_set=stems)  # reversed: first match = last write
        last = last_writes[which]
        update = _concat([u[name].combine_chunks() for u in parts])[::-1].take(last)
        if name not in columns:
            columns[name] = update
            continue
        current, update = _common_type(columns[name], update)
        columns[name] = pc.if_else(pc.is_valid(last), update, current)
    return pa.table(columns)


def _extend(array: pa.Array, n: int) -> pa.Array:
    return pa.concat_arrays([array, pa.nulls(n, array.type)]) if n else array


def _concat(arrays: list[pa.Array]) -> pa.Array:
    """One column's values from several runs; a column inferred differently in two runs meets on
    the first of its types that holds every value (int64 and double: double), else on text."""
    for target in [*dict.fromkeys(a.type for a in arrays if a.type != pa.null()), pa.string()]:
        try:
            return pa.concat_arrays([a if a.type == target else a.cast(target) for a in arrays])
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            continue
    return pa.concat_arrays(arrays)  # all of type null


def _common_type(current: pa.Array, update: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Both as one type: the stored column's if the update casts to it, else the update's, else text."""
    if current.type == update.type:
        return current, update
    for target in (current.type, update.type):
        try:
            return current.cast(target), update.cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            continue
    return current.cast(pa.string()), update.cast(pa.string())


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    return df[name] if name in df.columns else pd.Series([None] * len(df), index=df.index, dtype="object")
