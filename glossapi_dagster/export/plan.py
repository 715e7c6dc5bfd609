"""Which records go in which shard, and which shard files an earlier export already wrote.

Records are packed in stem order, a shard closing before the record that would take it past
shard_size_bytes (uncompressed JSONL bytes, as GlossAPI counts; a bigger record has a shard to
itself). Against the last export's state (`.export_state.json`, same options): a shard whose
records are all still exported, unchanged, is kept as it is (at most renamed); the records of the
other shards, and new ones, are packed again into new shards. So a new batch of documents costs
about its own size, not the corpus's.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

STATE = ".export_state.json"


@dataclass(slots=True)
class Entry:
    stem: str
    size: int     # bytes of its JSONL line
    digest: str   # of the line: a changed text or metadata changes it


@dataclass
class Shard:
    stems: list = field(default_factory=list)
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


def _digest(entries: list[Entry]) -> str:
    h = hashlib.sha256()
    for e in entries:
        h.update(e.digest.encode())
    return h.hexdigest()


def plan(entries: list[Entry], limit: int, previous: dict | None, params: dict, dest: Path) -> list[Shard]:
    """The shards of this export, in stem order of their first record (file names not set yet)."""
    by_stem = {e.stem: e for e in entries}
    kept: list[Shard] = []
    placed: set[str] = set()
    if previous and previous.get("params") == params:
        for old in previous.get("shards", []):
            members = [by_stem.get(s) for s in old["stems"]]
            path = dest / old["file"]
            if (all(members) and _digest(members) == old["digest"] and path.is_file()
                    and path.stat().st_size == old["file_bytes"]):
                kept.append(Shard(list(old["stems"]), sum(m.size for m in members), old["digest"], old["file"]))
                placed.update(old["stems"])
    fresh: list[Shard] = []
    current: list[Entry] = []
    size = 0
    for entry in entries:
        if entry.stem in placed:
            continue
        if current and size + entry.size > limit:
            fresh.append(_shard(current))
            current, size = [], 0
        current.append(entry)
        size += entry.size
    if current:
        fresh.append(_shard(current))
    return sorted(kept + fresh, key=lambda s: s.stems[0])


def sum_size(entries: list[Entry]) -> int:
    return sum(e.size for e in entries)


def _shard(entries: list[Entry]) -> Shard:
    return Shard([e.stem for e in entries], sum_size(entries), _digest(entries))
