"""How a document's artifacts are encoded: its Docling JSON (zstd), its sidecar and metrics as
JSON for people to read; a Docling JSON read back. Finishing a document writes them together
(phases/finish.py: write_artifacts)."""
from __future__ import annotations

import json
from pathlib import Path

from .layout import JSON_SUFFIX


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


def pretty_json(obj) -> bytes:
    """Indented JSON for people to read. orjson: json.dumps with an indent runs in Python (a tenth
    of a short document's writing); json for what orjson does not encode."""
    import orjson

    try:
        return orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return json.dumps(obj, ensure_ascii=False, indent=1).encode("utf-8")
