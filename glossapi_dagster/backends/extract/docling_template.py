"""The Docling JSON of an empty DoclingDocument, the template the fast paths fill in (the safe
backend's documents, a long document's ranges spliced into one), without importing docling-core."""
from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from ...state.atomic import atomic_write_text


def empty_document() -> dict:
    """docling-core's own export of an empty document (schema name and version, body, furniture),
    cached per docling-core version (on disk, and in this process; a fresh copy each call):
    importing docling-core would cost each worker, and the controller that stitches a long
    document's ranges, ~0.4-1.8 s."""
    return json.loads(_template_json())


@lru_cache(maxsize=1)
def _template_json() -> str:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "glossapi-dagster" / (
        f"docling-core-{_docling_core_version()}-empty-document.json")
    try:
        text = cache.read_text(encoding="utf-8")
        json.loads(text)
        return text
    except (OSError, ValueError):
        pass
    from docling_core.types.doc import DoclingDocument

    text = json.dumps(DoclingDocument(name="_").export_to_dict())
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(cache, text)
    except OSError:  # a read-only home: built again by the next worker
        pass
    return text


def _docling_core_version() -> str:
    """From the name of its dist-info folder; importlib.metadata costs a worker 25 ms to import."""
    from importlib.util import find_spec

    spec = find_spec("docling_core")
    if spec is not None and spec.origin:
        found = sorted(Path(spec.origin).parents[1].glob("docling_core-*.dist-info"))
        if len(found) == 1:
            return found[0].name[len("docling_core-"):-len(".dist-info")]
    from importlib.metadata import version

    return version("docling-core")
