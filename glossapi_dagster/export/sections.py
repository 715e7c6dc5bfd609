"""The export from sections (after section() and annotate()): a document's text without the
sections a user excludes (the bibliography, the contents...), or one record per section as
GlossAPI's datasets have them (header, section, predicted_section).

The annotated sections (OUT/fully_annotated_sections.parquet, else classified_sections.parquet,
else the unlabelled sections_for_annotation.parquet) are streamed once per export into a scratch
sqlite file beside the export's index; a document is then read from there, a page at a time.
A document the sections do not cover as its markdown now stands (not sectioned, or its markdown
changed since: the sections' bytes are not the file's) is exported whole, and counted so.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..sections.labels import LABELS, label_of
from ..state import OutputLayout
from .shards import PARQUET_SCHEMA, parquet_row

ANNOTATED = ("fully_annotated_sections.parquet", "classified_sections.parquet")
SECTION_TYPES = ("index", "acknowledgements")  # the structural labeller's finer kinds
SECTION_KEY = "section"                          # GlossAPI's datasets: the section's text under `section`
_S, _I = pa.string(), pa.int64()
SECTION_PARQUET_SCHEMA = pa.schema(
    [("section", _S), ("header", _S), ("predicted_section", _S), ("section_type", _S), ("label_source", _S),
     ("chunk_id", _I)] + [f for f in PARQUET_SCHEMA if f.name != "text"])


def excluded(names) -> tuple[set[str], set[str]]:
    """(GlossAPI labels, section types) a user's names exclude: 'β' or 'bibliography'; 'index'."""
    labels, kinds = set(), set()
    for name in names or ():
        if name in SECTION_TYPES:
            kinds.add(name)
        else:
            try:
                labels.add(label_of(name))
            except ValueError:
                raise ValueError(f"exclude_sections: unknown section {name!r}; one of {', '.join(LABELS)}, "
                                 f"{', '.join(LABELS.values())}, {', '.join(SECTION_TYPES)}") from None
    return labels, kinds


def annotated_file(out_dir, need_labels: bool) -> Path:
    root = OutputLayout(out_dir).root
    for name in ANNOTATED:
        if (root / name).is_file():
            return root / name
    if need_labels:
        raise FileNotFoundError(f"exclude_sections needs labelled sections: run section() and annotate() on {root} "
                                "first")
    path = root / "sections" / "sections_for_annotation.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"a section-level export needs {path}: run section() (and annotate()) first")
    return path


class SectionTexts:
    """Each document's text and sections from the annotated sections, the excluded ones left out."""

    def __init__(self, layout: OutputLayout, path: Path, exclude, scratch: Path):
        self.layout, self.path = layout, path
        self.labels, self.kinds = excluded(exclude)
        self.scratch = scratch
        scratch.unlink(missing_ok=True)
        self.db = sqlite3.connect(scratch, isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-2048"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.executescript(
            "CREATE TABLE sec(stem TEXT, idx INT, header TEXT, header_line TEXT, section TEXT, label TEXT, "
            "kind TEXT, source TEXT, kept INT, PRIMARY KEY(stem, idx));"
            "CREATE TABLE doc(stem TEXT PRIMARY KEY, total_bytes INT, kept_bytes INT, digest BLOB, sections INT);")
        self.whole: set[str] = set()           # exported whole: no sections for the markdown as it stands
        self.removed: Counter = Counter()       # label -> sections left out (of exported documents)
        self.removed_chars: Counter = Counter()
        self._load()

    def _load(self) -> None:
        columns = [c for c in ("filename", "header", "header_line", "section", "predicted_section", "section_type",
                               "label_source") if c in pq.ParquetFile(self.path).schema_arrow.names]
        if "header_line" not in columns:
            raise ValueError(f"{self.path} was not written by this project's section() (no header_line column): "
                             "run section() and annotate() here")
        docs: dict[str, list] = {}
        self.db.execute("BEGIN")
        for batch in pq.ParquetFile(self.path).iter_batches(batch_size=2048, columns=columns):
            rows = []
            for r in batch.to_pylist():
                stem = r["filename"]
                label, kind = r.get("predicted_section"), r.get("section_type")
                drop = label in self.labels or kind in self.kinds
                text = (r["header_line"] or "") + (r["section"] or "")
                state = docs.setdefault(stem, [0, 0, hashlib.sha256(), 0])
                data = text.encode("utf-8")
                state[0] += len(data)
                if not drop:
                    state[1] += len(data)
                    state[2].update(data)
                rows.append((stem, state[3], r["header"], r["header_line"], r["section"], label, kind,
                             r.get("label_source"), 0 if drop else 1))
                state[3] += 1
            self.db.executemany("INSERT INTO sec VALUES(?,?,?,?,?,?,?,?,?)", rows)
        self.db.executemany("INSERT INTO doc VALUES(?,?,?,?,?)",
                            [(s, t, k, d.digest(), n) for s, (t, k, d, n) in docs.items()])
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()
        self.scratch.unlink(missing_ok=True)

    def _doc(self, stem: str, markdown_size: int):
        found = self.db.execute("SELECT total_bytes, kept_bytes, digest FROM doc WHERE stem=?", (stem,)).fetchone()
        return found if found and found[0] == markdown_size else None

    def stat(self, stem: str) -> tuple[int, int] | None:
        """The identity the export's index caches a text's measures by: the kept sections' digest
        and size, or the markdown's mtime and size where the document goes whole."""
        try:
            st = self.layout.markdown(stem).stat()
        except FileNotFoundError:
            return None
        found = self._doc(stem, st.st_size)
        if found is None:
            self.whole.add(stem)
            return st.st_mtime_ns, st.st_size
        self.whole.discard(stem)
        return -int.from_bytes(found[2][:7], "big") - 1, found[1]  # negative: never a real mtime

    def text(self, stem: str) -> str:
        if stem in self.whole:
            return self.layout.markdown(stem).read_text(encoding="utf-8")
        return "".join(h + s for h, s in self.db.execute(
            "SELECT header_line, section FROM sec WHERE stem=? AND kept=1 ORDER BY idx", (stem,)))

    def sections(self, stem: str) -> list[dict]:
        """The kept sections of a document (a document exported whole: one, unlabelled)."""
        if stem in self.whole:
            text = self.text(stem)
            return [{"chunk_id": 0, "header": "", "section": text, "predicted_section": None, "section_type": None,
                     "label_source": None}] if text.strip() else []
        keys = ("chunk_id", "header", "section", "predicted_section", "section_type", "label_source")
        return [dict(zip(keys, r)) for r in self.db.execute(
            "SELECT idx, header, section, label, kind, source FROM sec WHERE stem=? AND kept=1 ORDER BY idx", (stem,))]

    def count_removed(self, stem: str) -> None:
        """Add a document's left-out sections to the card's figures (once per exported document)."""
        if stem in self.whole:
            return
        for label, kind, n, chars in self.db.execute(
                "SELECT label, kind, COUNT(*), SUM(LENGTH(header_line) + LENGTH(section)) FROM sec "
                "WHERE stem=? AND kept=0 GROUP BY label, kind", (stem,)):
            key = kind if kind in self.kinds else label
            self.removed[key] += n
            self.removed_chars[key] += chars or 0

    def summary(self) -> dict:
        return {"sections_file": self.path.name, "excluded": sorted(self.labels | self.kinds),
                "sections_removed": dict(sorted(self.removed.items())),
                "chars_removed": dict(sorted(self.removed_chars.items())),
                "documents_exported_whole": len(self.whole)}


def section_records(stem_record: dict, sections: list[dict], text_key: str) -> list[dict]:
    """One record per section: its text under `section` (or text_key when the user chose one),
    header, labels and chunk_id (its place in the document), then the document's metadata."""
    key = SECTION_KEY if text_key == "document" else text_key
    base = {k: v for k, v in stem_record.items() if k not in ("document", text_key, "chunk_id")}
    out = []
    for s in sections:
        record = {key: s["section"], "header": s["header"], "predicted_section": s["predicted_section"],
                  "section_type": s["section_type"], "label_source": s["label_source"],
                  "doc_id": base.get("doc_id"), "chunk_id": s["chunk_id"]}
        record.update({k: v for k, v in base.items() if k not in record})
        out.append(record)
    return out


def section_parquet_row(section: dict, meta: dict, stats: dict, provenance: list = ()) -> dict:
    row = parquet_row(section["section"], meta, stats, provenance)
    row.pop("text")
    row.update({k: section[k] for k in ("section", "header", "predicted_section", "section_type", "label_source",
                                        "chunk_id")})
    return row


def scratch_path(dest: Path) -> Path:
    return dest / f".sections-{os.getpid()}.sqlite"
