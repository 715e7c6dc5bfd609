"""annotate(): every section of sections_for_annotation.parquet labelled (a model, or the
structural labeller), then fully annotated, document by document, streaming: OUT/
classified_sections.parquet (the labels as decided) and OUT/fully_annotated_sections.parquet
(after GlossAPI's full-annotation rules), as GlossAPI names them.

Each row gains `predicted_section` (GlossAPI's label), `section_type` (its readable name, or the
structural labeller's finer kind: index, acknowledgements), `label_source` (how it was decided)
and `document_type` (from the user's metadata, when known).
"""
from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import classifier as clf
from .contents import looks_like_contents
from .labels import LABELS, annotate_chapter, annotate_text
from .structural import classify

# rows read, labelled and written at a time (whole documents): a section may be tens of kB, with its
# json_section twice that, and a batch is held in a few copies (frame, labels, arrow table)
BATCH_ROWS = 512
# GlossAPI's index detection looks for a contents list only near the start: while the sections
# read so far hold at most 300 non-empty lines and 300/1000 of the document. GlossAPI counts the
# section itself in, so a long contents page of a short document is past the start by its own
# length (and the model's π on it is undone); here a section is near the start when it *begins* there
INDEX_LENGTH, INDEX_PROPO = 300, 300
ADDED = [("predicted_section", pa.string()), ("section_type", pa.string()), ("label_source", pa.string()),
         ("document_type", pa.string())]


@dataclass
class AnnotateReport:
    classified: str
    fully_annotated: str | None
    labeller: str
    documents: int = 0
    sections: int = 0
    labels: dict = field(default_factory=dict)           # label -> sections, after full annotation
    not_fully_annotated: dict = field(default_factory=dict)  # reason -> documents whose labels stayed
    seconds: float = 0.0


class StructuralLabeller:
    name = "structural"

    def label(self, df: pd.DataFrame) -> tuple[list, list, list]:
        out = [classify(h, s, _start(p)) for h, s, p in zip(df["header"], df["section"], df["place"])]
        return [o[0] for o in out], [o[1] for o in out], [o[2] for o in out]


class ModelLabeller:
    """A classifier's labels, then GlossAPI's index detection over each document's first sections."""

    def __init__(self, model, name: str):
        self.model, self.name = model, name

    def label(self, df: pd.DataFrame) -> tuple[list, list, list]:
        labels = clf.predict(self.model, df)
        sources = ["model"] * len(labels)
        for lo, hi in _documents(df):
            _index_detection(df.iloc[lo:hi], labels, sources, lo)
        return labels, [LABELS.get(label, label) for label in labels], sources


def _start(place) -> float:
    try:
        return float(str(place).split("-")[0])
    except ValueError:
        return 0.0


def _documents(df: pd.DataFrame):
    """(first, past-last) row positions of each document's run of rows."""
    names = df["filename"].tolist()
    lo = 0
    for i in range(1, len(names) + 1):
        if i == len(names) or names[i] != names[lo]:
            yield lo, i
            lo = i


def _index_detection(doc: pd.DataFrame, labels: list, sources: list, offset: int) -> None:
    length = propo = 0
    passed = False
    for k, (section, n, p) in enumerate(zip(doc["section"], doc["section_length"], doc["section_propo"])):
        i = offset + k
        if length <= INDEX_LENGTH and propo <= INDEX_PROPO:
            if looks_like_contents(section)[0]:
                labels[i], sources[i] = "π", "index_detection"
                length, propo = length + int(n or 0), propo + int(p or 0)
                continue
        else:
            passed = True
        length, propo = length + int(n or 0), propo + int(p or 0)
        if passed and labels[i] == "π":  # a contents list this far in is not the document's contents
            labels[i], sources[i] = "άλλο", "model:π_past_the_start"


def labeller_for(model_path=None, classifier: str = "auto", log: Callable[[str], None] = print):
    """The labeller to use: 'structural'; 'model' (model_path, else GlossAPI's installed one: an
    error if neither loads); or 'auto': a model where one is given or installed and loads, else
    the structural labeller, with one line saying why."""
    if classifier == "structural":
        return StructuralLabeller()
    path = Path(model_path) if model_path else clf.installed_glossapi_model()
    if path is None:
        if classifier == "model":
            raise clf.ModelError("no section classifier: pass section_classifier_model_path, install glossapi "
                                 "(its published model), or train one with train_from_csv")
        log("annotate: no section classifier given or installed; using the structural labeller")
        return StructuralLabeller()
    try:
        return ModelLabeller(clf.load_model(path), f"model:{path}")
    except clf.ModelError as exc:
        if classifier == "model" or model_path:
            raise
        log(f"annotate: {exc}; using the structural labeller")
        return StructuralLabeller()


def annotate_file(sections_parquet, classified_path, fully_path, labeller, annotation_type: str = "text",
                  document_types: dict | None = None, annotation_mapping: dict | None = None,
                  log: Callable[[str], None] = print) -> AnnotateReport:
    """Label every section (a batch of whole documents at a time), then fully annotate each
    document (fully_path None: not). annotation_type 'auto': 'chapter' where annotation_mapping
    says so for the document's type (document_types: filename -> type), else 'text'."""
    started = time.monotonic()
    source = pq.ParquetFile(sections_parquet)
    missing = [c for c in ("id", "filename", "header", "section", "has_table", "has_list") if c not in source.schema_arrow.names]
    if missing:
        raise ValueError(f"{sections_parquet} lacks the column(s) {', '.join(missing)}: run section() first")
    schema = pa.schema([f for f in source.schema_arrow if f.name not in dict(ADDED)] + [pa.field(*a) for a in ADDED])
    report = AnnotateReport(str(classified_path), str(fully_path) if fully_path else None, labeller.name)
    writers = [_Writer(Path(classified_path), schema)] + ([_Writer(Path(fully_path), schema)] if fully_path else [])
    labels: Counter = Counter()
    kept: Counter = Counter()
    done: set[str] = set()
    types, mapping = document_types or {}, annotation_mapping or {}
    try:
        for frame in _whole_documents(source):
            report.sections += len(frame)
            predicted, kinds, how = labeller.label(frame)
            frame = frame.assign(predicted_section=predicted, section_type=kinds, label_source=how,
                                 document_type=[types.get(f) for f in frame["filename"]])
            writers[0].write(frame)
            for lo, hi in _documents(frame):
                name = frame["filename"].iat[lo]
                if name in done:
                    raise ValueError(f"{sections_parquet}: the sections of {name!r} are not in one run (sort it by id)")
                done.add(name)
                if not fully_path:
                    continue
                kind = annotation_type if annotation_type != "auto" else mapping.get(types.get(name), "text")
                rule = annotate_chapter if kind == "chapter" else annotate_text
                new, sources, why = rule(predicted[lo:hi], how[lo:hi])
                if why:
                    kept[why] += 1
                predicted[lo:hi], how[lo:hi] = new, sources
                kinds[lo:hi] = [k if k in ("index", "acknowledgements") else LABELS.get(x, x)
                                for k, x in zip(kinds[lo:hi], new)]
            labels.update(predicted)
            if fully_path:
                writers[1].write(frame.assign(predicted_section=predicted, section_type=kinds, label_source=how))
        for writer in writers:
            writer.close()
    except BaseException:
        for writer in writers:
            writer.abort()
        raise
    report.documents = len(done)
    report.labels = dict(sorted(labels.items()))
    report.not_fully_annotated = dict(kept)
    report.seconds = time.monotonic() - started
    if kept:
        log(f"annotate: labels kept as decided (GlossAPI's rule) in {sum(kept.values())} document(s): "
            + "; ".join(f"{n} {why}" for why, n in kept.most_common()))
    return report


def _whole_documents(source: pq.ParquetFile):
    """Frames of about BATCH_ROWS rows, never cutting a document in two."""
    carry = None
    for batch in source.iter_batches(batch_size=BATCH_ROWS):
        frame = batch.to_pandas()
        if carry is not None:
            frame = pd.concat([carry, frame], ignore_index=True)
        last = frame["filename"].iat[-1]
        cut = len(frame)
        while cut > 0 and frame["filename"].iat[cut - 1] == last:
            cut -= 1
        if cut == 0:  # one document so far: wait for its end
            carry = frame
            continue
        carry = frame.iloc[cut:].reset_index(drop=True)
        yield frame.iloc[:cut].reset_index(drop=True)
    if carry is not None and len(carry):
        yield carry


class _Writer:
    """A parquet file written through a temporary name: complete, or not there."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.path, self.schema = path, schema
        path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self.writer = pq.ParquetWriter(self.tmp, schema, compression="zstd")

    def write(self, frame: pd.DataFrame) -> None:
        self.writer.write_table(pa.Table.from_pandas(frame[self.schema.names], schema=self.schema, preserve_index=False))

    def close(self) -> None:
        self.writer.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        try:
            self.writer.close()
        finally:
            self.tmp.unlink(missing_ok=True)
