"""The output folder (OUT), GlossAPI-compatible: where every artifact of a stem lives."""
from __future__ import annotations

from pathlib import Path

try:  # zstd-compressed Docling JSON where zstandard is installed, plain JSON otherwise
    import zstandard  # noqa: F401

    JSON_SUFFIX = ".docling.json.zst"
except ImportError:  # pragma: no cover - zstandard is a dependency
    JSON_SUFFIX = ".docling.json"


class UnsafeStem(ValueError):
    """A stem that could name a file outside its folder."""


def check_stem(stem: str) -> str:
    if not stem or stem in (".", "..") or any(c in stem for c in "/\\\0\n\r"):
        raise UnsafeStem(f"unsafe stem {stem!r}")
    return stem


class OutputLayout:
    def __init__(self, out_dir: str | Path):
        self.root = Path(out_dir).absolute()

    # store and lists
    @property
    def store_dir(self) -> Path:
        return self.root / "download_results"

    @property
    def skiplist(self) -> Path:
        return self.root / "skiplists" / "fatal_skip.txt"

    # per-stem artifacts
    def markdown(self, stem: str) -> Path:
        return self.root / "markdown" / f"{check_stem(stem)}.md"

    def docling_json(self, stem: str) -> Path:
        return self.root / "json" / f"{check_stem(stem)}{JSON_SUFFIX}"

    def latex_map(self, stem: str) -> Path:
        return self.root / "json" / f"{check_stem(stem)}.latex_map.jsonl"

    def metrics(self, stem: str) -> Path:
        return self.root / "json" / "metrics" / f"{check_stem(stem)}.metrics.json"

    def per_page_metrics(self, stem: str) -> Path:
        return self.root / "json" / "metrics" / f"{check_stem(stem)}.per_page.metrics.json"

    def sidecar(self, phase: str, stem: str) -> Path:
        return self.root / "sidecars" / phase / f"{check_stem(stem)}.json"

    # workers and quarantine
    def worker_logs(self, phase: str) -> Path:
        return self.root / "logs" / f"{phase}_workers"

    def quarantine(self, kind: str) -> Path:
        """downloads/problematic_math or json/problematic_math."""
        return self.root / kind / "problematic_math"
