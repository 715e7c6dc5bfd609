"""Each document's type (GlossAPI's document_type: 'Κεφάλαιο', 'Άρθρο', ...), for annotation_type
'auto': from the user's metadata parquet (filename, document_type: GlossAPI's metadata_path) and
from a document_type column of the store (a link list's column), by the store's stem."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

DEFAULT_ANNOTATION_MAPPING = {"Κεφάλαιο": "chapter"}  # GlossAPI's default annotation_mapping


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and value != value) and str(value).strip() != ""


def document_types(store_rows: pd.DataFrame, metadata_path=None) -> dict[str, str]:
    """stem -> document type. store_rows: the store's stem, filename (and document_type) columns.
    A metadata file's filename may carry an extension or not, as GlossAPI allows."""
    types: dict[str, str] = {}
    if "document_type" in store_rows:
        types.update({s: str(t) for s, t in zip(store_rows["stem"], store_rows["document_type"]) if _present(t)})
    if metadata_path:
        meta = pd.read_parquet(metadata_path)
        if not {"filename", "document_type"} <= set(meta.columns):
            raise ValueError(f"{metadata_path}: a metadata file needs the columns filename and document_type "
                             f"(it has {', '.join(map(str, meta.columns))})")
        by_name: dict[str, str] = {}
        for name, kind in zip(meta["filename"], meta["document_type"]):
            if _present(name) and _present(kind):
                by_name[str(name)] = by_name[Path(str(name)).stem] = str(kind)
        names = store_rows["filename"] if "filename" in store_rows else store_rows["stem"]
        for stem, name in zip(store_rows["stem"], names):
            kind = by_name.get(str(name)) or by_name.get(str(stem)) or by_name.get(Path(str(name)).stem)
            if kind:
                types[stem] = kind
    return types
