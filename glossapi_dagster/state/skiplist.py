"""The fatal skip-list: skiplists/fatal_skip.txt, sorted stems one a line, written atomically."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from .atomic import atomic_write_text, file_lock


class SkipList:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = self.path.with_name(f".{self.path.name}.lock")

    def read(self) -> set[str]:
        if not self.path.exists():
            return set()
        return {line for line in self.path.read_text(encoding="utf-8").splitlines() if line}

    def add(self, stems: Iterable[str]) -> None:
        stems = set(stems)
        if not stems:
            return
        with file_lock(self._lock):
            merged = self.read() | stems
            atomic_write_text(self.path, "".join(f"{s}\n" for s in sorted(merged)))

    def remove(self, stems: Iterable[str]) -> None:
        with file_lock(self._lock):
            kept = self.read() - set(stems)
            atomic_write_text(self.path, "".join(f"{s}\n" for s in sorted(kept)))
