"""The export's index on disk (sqlite), so that its memory does not grow with the corpus.

`<dest>/.export_index.sqlite` keeps, between builds, each markdown's measures (mtime and size,
digests, lengths, MinHash signature: an unchanged file is not read again) and the last export's
records (size, digest, shard) and shards. A scratch file attached beside it holds this build's
store rows (the store replayed batch by batch, json_patch merging each write into its row) and
planned records; it is removed when the build ends. Reads go a page at a time, in stem order.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Iterator

from ..state import ProgressStore

PAGE = 1000
# what a cached signature depends on: a change of any of these re-measures every text
MEASURE_VERSION = "v1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS texts(stem TEXT PRIMARY KEY, mtime_ns INT, size INT, chars INT, words INT,
    text_len INT, sha BLOB, norm_sha BLOB, norm_chars INT, sig BLOB);
CREATE TABLE IF NOT EXISTS records(stem TEXT PRIMARY KEY, size INT, digest BLOB, shard INT);
CREATE INDEX IF NOT EXISTS records_shard ON records(shard);
CREATE TABLE IF NOT EXISTS shards(id INT PRIMARY KEY, file TEXT, first TEXT, records INT, size INT,
    digest TEXT, file_bytes INT);
"""
_WORK = """
CREATE TABLE work.rows(stem TEXT PRIMARY KEY, row TEXT);
CREATE TABLE work.usable(stem TEXT PRIMARY KEY);
CREATE TABLE work.entries(stem TEXT PRIMARY KEY, size INT, digest BLOB, shard INT);
CREATE INDEX work.entries_shard ON entries(shard, stem);
"""


def _json(value):
    """A store value as JSON text's Python side: NaN as null (sqlite's JSON has no NaN)."""
    return None if isinstance(value, float) and math.isnan(value) else value


class ExportIndex:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.scratch = self.path.with_name(f"{self.path.name}.scratch-{os.getpid()}")
        for stale in self.path.parent.glob(f"{self.path.name}.scratch-*"):  # left by a killed build
            stale.unlink(missing_ok=True)
        for stale in self.path.parent.glob(".dedup-*"):  # the dedup index of a killed build
            shutil.rmtree(stale, ignore_errors=True)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        for pragma in ("journal_mode=DELETE", "synchronous=NORMAL", "cache_size=-2048", "temp_store=FILE"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.executescript(_SCHEMA)
        self.db.execute("ATTACH DATABASE ? AS work", (str(self.scratch),))
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-2048"):
            self.db.execute(f"PRAGMA work.{pragma}")
        self.db.executescript(_WORK)
        self.columns: list[str] = []

    def _many(self, sql: str, rows: list) -> None:
        """A batch of writes in one transaction (each on its own would be a commit, an fsync, a row)."""
        self.db.execute("BEGIN")
        self.db.executemany(sql, rows)
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.execute("DETACH DATABASE work")
        self.db.close()
        self.scratch.unlink(missing_ok=True)

    # -- meta ---------------------------------------------------------------------------
    def get(self, key: str):
        found = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return json.loads(found[0]) if found else None

    def set(self, key: str, value) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES(?, ?)", (key, json.dumps(value, ensure_ascii=False)))

    # -- the store, replayed onto disk --------------------------------------------------
    def load_store(self, store: ProgressStore) -> None:
        """Every store row into work.rows: each batch's values merged into the row (last write wins)."""
        columns: dict[str, None] = {}
        sql = ("INSERT INTO work.rows(stem, row) VALUES(?, ?) "
               "ON CONFLICT(stem) DO UPDATE SET row=json_patch(row, excluded.row)")
        self.db.execute("BEGIN")
        for batch in store.batches():
            columns.update(dict.fromkeys(batch.schema.names))
            values = [(r["stem"], json.dumps({k: _json(v) for k, v in r.items()}, ensure_ascii=False, default=str))
                      for r in batch.to_pylist() if r.get("stem")]
            self.db.executemany(sql, values)
        self.db.execute("COMMIT")
        self.columns = list(columns)

    def rows(self) -> Iterator[dict]:
        """The store's rows in stem order, every column present (None where never written)."""
        for stem, text in self._pages("SELECT stem, row FROM work.rows WHERE stem > ? ORDER BY stem LIMIT ?"):
            row = json.loads(text)
            yield {c: row.get(c) for c in self.columns} | row

    def _pages(self, sql: str, *args) -> Iterator[tuple]:
        """A query `... WHERE stem > ? ... ORDER BY stem LIMIT ?` (stem first), a page at a time:
        writes between pages do not disturb it, and no result is held whole."""
        last = ""
        while True:
            page = self.db.execute(sql, (*args, last, PAGE)).fetchall()
            yield from page
            if len(page) < PAGE:
                return
            last = page[-1][0]

    # -- each text's measures -----------------------------------------------------------
    def measures_valid(self, version: str) -> None:
        """Drop the cached measures when they were taken another way (another signature scheme)."""
        if self.get("measure_version") != version:
            self.db.execute("DELETE FROM texts")
            self.set("measure_version", version)

    def cached(self, stem: str, mtime_ns: int, size: int) -> tuple | None:
        return self.db.execute("SELECT chars, words, text_len, sha, norm_sha, norm_chars, sig FROM texts "
                               "WHERE stem=? AND mtime_ns=? AND size=?", (stem, mtime_ns, size)).fetchone()

    def remember(self, rows: list[tuple]) -> None:
        """(stem, mtime_ns, size, chars, words, text_len, sha, norm_sha, norm_chars, sig) rows."""
        self._many("INSERT OR REPLACE INTO texts VALUES(?,?,?,?,?,?,?,?,?,?)", rows)

    def mark_usable(self, stems: list[str]) -> None:
        self._many("INSERT OR IGNORE INTO work.usable VALUES(?)", [(s,) for s in stems])

    def usable(self) -> Iterator[tuple]:
        """(stem, row text, chars, words, text_len, sha) of this build's usable documents, in stem order."""
        yield from self._pages(
            "SELECT u.stem, r.row, t.chars, t.words, t.text_len, t.sha FROM work.usable u "
            "JOIN work.rows r ON r.stem=u.stem JOIN texts t ON t.stem=u.stem WHERE u.stem > ? ORDER BY u.stem LIMIT ?")

    def row_of(self, text: str) -> dict:
        row = json.loads(text)
        return {c: row.get(c) for c in self.columns} | row

    # -- this build's records and the last build's ---------------------------------------
    def add_entries(self, rows: list[tuple]) -> None:
        """(stem, size, digest) of records of this build."""
        self._many("INSERT INTO work.entries(stem, size, digest) VALUES(?,?,?)", rows)

    def previous_shards(self) -> list[dict]:
        cols = ("id", "file", "first", "records", "size", "digest", "file_bytes")
        return [dict(zip(cols, r)) for r in self.db.execute(f"SELECT {', '.join(cols)} FROM shards ORDER BY id")]

    def unchanged(self, shard_id: int) -> bool:
        """Every record of the last build's shard is a record of this one, with the same digest."""
        return self.db.execute(
            "SELECT 1 FROM records r LEFT JOIN work.entries e ON e.stem=r.stem AND e.digest=r.digest "
            "WHERE r.shard=? AND e.stem IS NULL LIMIT 1", (shard_id,)).fetchone() is None

    def assign_previous(self, old_id: int, key: int) -> None:
        self.db.execute("UPDATE work.entries SET shard=? WHERE stem IN (SELECT stem FROM records WHERE shard=?)",
                        (key, old_id))

    def unplaced(self) -> Iterator[tuple]:
        """(stem, size, digest) of this build's records in no kept shard, in stem order."""
        yield from self._pages("SELECT stem, size, digest FROM work.entries WHERE shard IS NULL AND stem > ? "
                               "ORDER BY stem LIMIT ?")

    def assign(self, stems: list[str], key: int) -> None:
        self._many("UPDATE work.entries SET shard=? WHERE stem=?", [(key, s) for s in stems])

    def shard_rows(self, key: int) -> Iterator[tuple]:
        """(stem, row text, chars, words) of a shard's records, in stem order."""
        yield from self._pages(
            "SELECT e.stem, r.row, t.chars, t.words FROM work.entries e JOIN work.rows r ON r.stem=e.stem "
            "JOIN texts t ON t.stem=e.stem WHERE e.shard=? AND e.stem > ? ORDER BY e.stem LIMIT ?", key)

    def commit(self, shards: list, params: dict) -> None:
        """This build becomes the last one: its records, its shards (key -> final file), its options."""
        self.db.execute("BEGIN")
        self.db.execute("DELETE FROM records")
        self.db.execute("INSERT INTO records SELECT stem, size, digest, shard FROM work.entries")
        self.db.execute("DELETE FROM shards")
        self.db.executemany("INSERT INTO shards VALUES(?,?,?,?,?,?,?)",
                            [(s.key, s.file, s.first, s.records, s.size, s.digest, s.file_bytes) for s in shards])
        self.set("params", params)
        self.db.execute("COMMIT")

    def forget_records(self) -> None:
        """Before files are moved or replaced: a build killed midway leaves no shard taken as kept."""
        self.db.execute("DELETE FROM shards")
