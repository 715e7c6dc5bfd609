"""A converted document's artifacts on the output layout: markdown, Docling JSON (zstd), sidecar,
metrics written together; a Docling JSON read back."""
from __future__ import annotations

import json
from pathlib import Path

from .atomic import atomic_write_files
from .layout import JSON_SUFFIX, OutputLayout


def encode_json(obj) -> bytes:
    import orjson  # 10x json.dumps: the Docling JSON is most of what a fast backend writes

    data = orjson.dumps(obj)
    if JSON_SUFFIX.endswith(".zst"):
        import zstandard

        return zstandard.ZstdCompressor(level=3).compress(data)
    return data


def load_docling_json(path: Path) -> dict:
    import orjson

    data = Path(path).read_bytes()
    if str(path).endswith(".zst"):
        import zstandard

        data = zstandard.ZstdDecompressor().decompress(data)
    return orjson.loads(data)


def write_artifacts(layout: OutputLayout, stem: str, doc: dict, markdown: str, sidecar: dict,
                    metrics: dict | None, sync: bool = True) -> list[Path]:
    """doc is the Docling JSON dict. Markdown last: its presence means the other artifacts of the
    stem are complete. sync=False: the new files are returned unsynced (atomic_write_files)."""
    files = [(layout.docling_json(stem), encode_json(doc)),
             (layout.sidecar("extract", stem), _pretty(sidecar))]
    if metrics is not None:
        pages = metrics.pop("per_page")
        files += [(layout.metrics(stem), _pretty(metrics)), (layout.per_page_metrics(stem), _pretty(pages))]
    files.append((layout.markdown(stem), markdown.encode("utf-8")))
    return atomic_write_files(files, sync=sync)


def _pretty(obj) -> bytes:
    """Indented JSON for people to read. orjson: json.dumps with an indent runs in Python (a tenth
    of a short document's writing); json for what orjson does not encode."""
    import orjson

    try:
        return orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return json.dumps(obj, ensure_ascii=False, indent=1).encode("utf-8")
