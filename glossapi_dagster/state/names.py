"""GlossAPI's ways of naming documents (`extract(filenames=...)`, `file_paths=`,
`formula_enrich_from_json(files=...)`): a file name, a stem, or a path; matched to store rows."""
from __future__ import annotations

import os
from pathlib import Path


def _keys(name: str) -> set[str]:
    text = os.fspath(name)
    return {text, Path(text).name, str(Path(text).absolute())}


def match_names(rows: list[dict], names) -> tuple[list[dict], list[str]]:
    """The rows (each with stem and path) that one of the names names, and the names that name
    none: a stem, a file name ('paper.pdf'), or a path (absolute, or relative to the working folder)."""
    names = [os.fspath(n) for n in names]
    wanted: dict[str, str] = {}
    for name in names:
        for key in _keys(name):
            wanted.setdefault(key, name)
    found: set[str] = set()
    chosen = []
    for row in rows:
        path = str(row.get("path") or "")
        hits = {wanted[k] for k in (row.get("stem"), Path(path).name, path, Path(path).stem) if k in wanted}
        if hits:
            chosen.append(row)
            found |= hits
    return chosen, [n for n in names if n not in found]
