"""Which records go in which shard, and which shard files an earlier export already wrote.

Records are packed in stem order, a shard closing before the record that would take it past
shard_size_bytes (uncompressed JSONL bytes, as GlossAPI counts; a bigger record has a shard to
itself). Against the last export (the index's records and shards, same options): a shard whose
records are all still exported, unchanged, is kept as it is (at most renamed); the records of the
other shards, and new ones, are packed again into new shards. So a new batch of documents costs
about its own size, not the corpus's. The records stay in the index on disk; a Shard holds only
its counts (memory: one small object a shard, not a list of its stems).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from .index import ExportIndex

STATE = ".export_state.json"


@dataclass
class Shard:
    key: int                       # its records' `shard` in the index
    first: str                     # stem of its first record
    records: int = 0
    size: int = 0
    digest: str = ""
    kept_file: str | None = None   # the file an earlier export wrote for exactly these records
    file: str = ""                 # its name in this export
    file_bytes: int = 0


def read_state(dest: Path, name: str = STATE) -> dict | None:
    try:
        return json.loads((dest / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def plan(index: ExportIndex, limit: float, params: dict, dest: Path) -> list[Shard]:
    """The shards of this export, in stem order of their first record (file names not set yet)."""
    shards: list[Shard] = []
    if index.get("params") == params:
        for old in index.previous_shards():
            path = dest / old["file"]
            if path.is_file() and path.stat().st_size == old["file_bytes"] and index.unchanged(old["id"]):
                shard = Shard(len(shards), old["first"], old["records"], old["size"], old["digest"], old["file"])
                index.assign_previous(old["id"], shard.key)
                shards.append(shard)
    pending: list[str] = []        # stems of the open shard not yet written to the index
    count, size, digest, first = 0, 0, hashlib.sha256(), None

    def close() -> None:
        index.assign(pending, len(shards))
        shards.append(Shard(len(shards), first, count, size, digest.hexdigest()))

    for stem, entry_size, entry_digest in index.unplaced():
        if count and size + entry_size > limit:
            close()
            pending, count, size, digest = [], 0, 0, hashlib.sha256()
        if not count:
            first = stem
        pending.append(stem)
        count, size = count + 1, size + entry_size
        digest.update(entry_digest)
        if len(pending) >= 1000:
            index.assign(pending, len(shards))
            pending = []
    if count:
        close()
    return sorted(shards, key=lambda s: s.first)
