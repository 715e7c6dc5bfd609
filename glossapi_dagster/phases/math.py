"""Phase 2: the formulas of every extracted document decoded to LaTeX, on the worker pool.

Worker side (MathTask): find the document's formulas (Docling's formula items, and those of the
text layer), decode them with the chosen backend, check each result, put the accepted ones into
markdown/<stem>.md, and write json/<stem>.latex_map.jsonl and sidecars/math/<stem>.json.
Controller side (run_math): which documents to do, one store row per outcome, and for a document
set aside past the respawn cap: the fatal skip-list and quarantine.

A PDF longer than max_pages_per_unit goes as page ranges (phases/long_docs.py): a worker scans
and decodes the formulas of its range's pages and writes them as a part (OUT/ranges/math/<stem>/);
once every page is done or failed, the controller puts the parts' formulas in page order and
places them into the Phase-1 markdown in one pass, as a whole document's would be (write_enriched,
the tail both share). Formulas of failed pages stay as Phase 1 left them; the pages are listed
(math_failed_pages). A range past the respawn cap, or left without a device, sets its document
aside as a whole document would be (skip-list, quarantine), its finished ranges kept for later.
"""
from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..datamodel import MathOptions, build, math_engine_plugin, settings
from ..pool import FATAL, PROBLEMATIC, SKIPPED, SUCCESS, ItemOutcome, WorkerContext
from ..state import OutputLayout
from ..state.atomic import atomic_write, atomic_write_text
from ..state.fspath import LINKS, worker_path
from ..state.artifacts import load_docling_json
from ..state.ranges import RangeJournal, file_fingerprint
from ..backends.math.textlayer.classing import DocFonts
from ..backends.math.markdown import Placement, doc_items, locate, place
from .long_docs import LongDocuments, run_with_ranges
from .ranges import PageRange
from .stitch import read_part, write_part

MAX_LATEX_CHARS = 3000
NO_MATH = "no_math"  # math_status of a document without formulas; the others are the pool's statuses


def respawn_cap(explicit: int | None = None) -> int:
    """The math workers' respawn cap: an explicit value, else GLOSSAPI_MATH_RESPAWN_CAP, else 5.
    0 means never respawn (GlossAPI reads 0 as unlimited; here it means what it says)."""
    if explicit is not None:
        if explicit < 0:
            raise ValueError(f"the math respawn cap must be >= 0, got {explicit}")
        return explicit
    return settings().math_respawn_cap


@dataclass
class MathTask:
    out_dir: str
    sources: dict                       # stem -> absolute path of its PDF
    options: MathOptions = field(default_factory=MathOptions)
    accel_type: str = "cuda"
    plugin: Callable | None = None      # a registered engine's factory (math_engine_plugin), pickled by reference
    max_latex_chars: int = MAX_LATEX_CHARS

    def setup(self, ctx: WorkerContext):
        from ..backends.math.textlayer import TextLayerMath

        textlayer = TextLayerMath(ctx.log)  # finds the formulas whatever decodes them
        engine, decoder, hooks, device = self.options.math_engine, None, None, "cpu"
        batch, artifacts = self.options.math_batch_size, self.options.artifacts_path
        if engine == "auto":
            from ..backends.math.code_formula import find_weights, missing_message

            engine = "codeformula" if find_weights(artifacts) else "textlayer"
            if engine == "textlayer":
                ctx.log.warning("math_engine='auto': %s Using the text-layer backend.", missing_message(artifacts))
        if engine == "codeformula":
            from ..backends.math.code_formula import CodeFormulaDecoder
            from .extract import torch_device

            device = torch_device(ctx, self.accel_type)
            decoder = CodeFormulaDecoder(device, batch, artifacts, ctx.log)
        elif self.plugin is not None:  # a registered engine: the text layer decodes, its hooks run around it
            hooks = self.plugin(ctx.log)
        ctx.log.info("math engine=%s batch=%d device=%s", engine, batch, device)
        worker = _Enricher(OutputLayout(self.out_dir), self.sources, textlayer, decoder, hooks,
                           "textlayer" if hooks is not None else engine, self.max_latex_chars, ctx.label, device)
        return worker.process


@dataclass
class _Enricher:
    layout: OutputLayout
    sources: dict
    textlayer: object
    decoder: object | None
    hooks: object | None                # a registered engine's before(stem) and after_latex_map(stem) (+ pages=)
    engine: str
    max_latex_chars: int
    worker: str
    device: str

    @functools.cached_property
    def _stems(self) -> dict:
        return {path: stem for stem, path in self.sources.items()}

    def process(self, item) -> dict:
        return self.enrich_range(item) if isinstance(item, PageRange) else self.enrich(item)

    def enrich(self, stem: str) -> dict:
        started = time.perf_counter()
        if self.hooks is not None:
            self.hooks.before(stem)
        pdf = pdf_of(self.layout, stem, self.sources)
        doc = _docling(self.layout, stem)
        scan = self.textlayer.scan(pdf, _formula_pages(doc))
        targets = self._targets(scan, doc)
        if not targets:
            return no_math(self.engine, started)
        if self.decoder is not None:
            self._decode_with_model(pdf, targets)
        entries = [self._entry(i, t) for i, t in enumerate(targets)]
        atomic_write_text(self.layout.latex_map(stem), "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries))
        if self.hooks is not None:
            self.hooks.after_latex_map(stem)
        return write_enriched(self.layout, stem, pdf, doc, entries, [t["source"] for t in targets], engine=self.engine,
                              worker=self.worker, device=self.device, scan_sec=scan.seconds, started=started)

    def enrich_range(self, item: PageRange) -> dict:
        """The formulas of a long document's pages first..last, decoded, as a part for the controller.
        The registered engine's hooks get the range: before(stem, pages=(first, last)), and
        after_latex_map(stem, pages=...) once the part is written (before the journal has it)."""
        started = time.perf_counter()
        stem = self._stems[item.path]
        pages = (item.first, item.last)
        if self.hooks is not None:
            self.hooks.before(stem, pages=pages)
        pdf = pdf_of(self.layout, stem, self.sources)
        doc = _docling(self.layout, stem)
        journal = RangeJournal(self.layout.root, stem, "", "math")
        must_read = _formula_pages(doc)
        wanted = set(range(item.first, item.last + 1))
        scan = self.textlayer.scan(pdf, must_read, pages=wanted, fonts=self._fonts(stem, journal, pdf, must_read))
        targets = self._targets(scan, doc, wanted)
        if self.decoder is not None:
            self._decode_with_model(pdf, targets)
        seconds = time.perf_counter() - started
        part = {"targets": [{"entry": self._entry(0, t), "source": t["source"], "order": t["order"]} for t in targets],
                "engine": self.engine, "device": self.device, "scan_sec": round(scan.seconds, 4),
                "seconds": round(seconds, 4)}
        write_part(journal.part(item.first, item.last), part, self.layout.root)
        if self.hooks is not None:
            self.hooks.after_latex_map(stem, pages=pages)
        return {"pages": item.pages, "formulas": len(targets), "seconds": round(seconds, 4)}

    def _fonts(self, stem: str, journal: RangeJournal, pdf: Path, must_read: set[int]) -> DocFonts:
        """The document's fonts (the body font; see textlayer DocFonts), read once per document by the
        first worker that needs them and kept beside its parts; the others wait for them (a lock).
        A new PDF or a new Docling JSON (which pages must be read) reads them again."""
        docling = self.layout.docling_json(stem)
        key = f"{file_fingerprint(pdf)}/{file_fingerprint(docling) if docling.exists() else ''}"
        journal.folder.mkdir(parents=True, exist_ok=True)
        kept = journal.folder / "fonts.json"
        with open(journal.folder / "fonts.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the worker dies, too
            try:
                cached = json.loads(kept.read_text(encoding="utf-8"))
                if cached.get("key") == key:
                    return DocFonts.of(cached)
            except (OSError, ValueError, KeyError):
                pass
            fonts = self.textlayer.fonts(pdf, must_read)
            atomic_write_text(kept, json.dumps({"key": key, **fonts.to_dict()}, ensure_ascii=False))
            return fonts

    # -- pieces ---------------------------------------------------------------------------------
    def _targets(self, scan, doc: dict | None, pages: set[int] | None = None) -> list[dict]:
        """Docling's formula items first (decoded from the glyphs in their box), then the text
        layer's formulas that no item covers; only those on `pages` (a range) where given. Each
        has its place in a whole document's order (`order`), by which ranges' parts are merged."""
        targets = []
        boxes: dict[int, list] = {}
        for position, item in enumerate(doc_items(doc) if doc else []):
            if item.label != "formula" or item.bbox is None or item.page_no is None:
                continue
            if pages is not None and item.page_no not in pages:
                continue
            f = self.textlayer.decode_region(scan, item.page_no, item.bbox)
            targets.append(_target(f, item.ref, display=True, bbox=item.bbox, page_no=item.page_no, order=(0, position)))
            boxes.setdefault(item.page_no, []).append(item.bbox)
        for position, f in enumerate(scan.formulas):
            if any(_overlap(f.bbox, b) >= 0.5 * max(1e-6, _area(f.bbox)) for b in boxes.get(f.page_no, [])):
                continue
            targets.append(_target(f, None, display=f.display, order=(1, f.page_no, position)))
        return targets

    def _decode_with_model(self, pdf: Path, targets: list[dict]) -> None:
        """CodeFormula for display formulas and formula items (it reads the page image, so a broken
        text layer does not matter to it); inline ones keep the text layer's LaTeX."""
        chosen = [t for t in targets if t["display"]]
        results = self.decoder.decode_regions(pdf, [(t["page_no"], t["bbox"]) for t in chosen])
        for t, (latex, seconds) in zip(chosen, results):
            t["latex"], t["seconds"], t["engine"] = latex or None, seconds, "codeformula"

    def _entry(self, index: int, t: dict) -> dict:
        checks = acceptance(t["latex"], self.max_latex_chars)
        return {
            "page_no": t["page_no"],
            "item_index": index,
            "kind": "display" if t["display"] else "inline",
            "bbox": [round(v, 2) for v in t["bbox"]],
            "latex": t["latex"],
            "engine": t["engine"],
            "time_ms": round(t["seconds"] * 1000, 3),
            # a broken text layer spoils the text-layer decoding only, not the model's
            "accepted": all(checks.values()) and (t["engine"] == "codeformula" or not t["broken"]),
            "checks": checks,
            "broken_tounicode": t["broken"],
            "tag": t["tag"],
            "docling_ref": t["docling_ref"],
            "source_text": t["source_text"],
        }


def write_enriched(layout: OutputLayout, stem: str, pdf: Path, doc: dict | None, entries: list[dict],
                   sources: list, *, engine: str, worker: str | None, device: str | None, scan_sec: float,
                   started: float, failed: dict[int, str] | None = None) -> dict:
    """A document's decoded formulas (its entries, in order, and each one's glyph readings) placed
    into its Phase-1 markdown; latex_map, sidecar and markdown written. A whole document's and a
    long one's, assembled from its ranges (`failed`: the pages no range could do, left as Phase 1
    wrote them). `started`: perf_counter time the document's work began. Returns the store result."""
    source_md, md_now = _phase1_markdown(layout, stem)
    items = doc_items(doc) if doc else []
    locate(source_md, items)
    placements = [Placement(e["item_index"], e["kind"] == "display", e["latex"], e["page_no"], tuple(e["bbox"]),
                            source, e.get("docling_ref"), e.get("tag"))
                  for e, source in zip(entries, sources) if e["accepted"]]
    markdown, placed = place(source_md, items, placements) if source_md else (None, {})
    for e in entries:
        e["placed"] = bool(placed.get(e["item_index"], False))
    atomic_write_text(layout.latex_map(stem), "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries))
    seconds = time.perf_counter() - started
    result = {
        "formula_total": len(entries),
        "math_items": sum(1 for e in entries if e["latex"] is not None),
        "math_accepted": sum(1 for e in entries if e["accepted"]),
        "math_time_sec": round(seconds, 4),
        "engine": engine,
        "display": sum(1 for e in entries if e["kind"] == "display"),
        "inline": sum(1 for e in entries if e["kind"] == "inline"),
        "broken_tounicode": sum(1 for e in entries if e["broken_tounicode"]),
        "placed": sum(1 for e in entries if e["placed"]),
    }
    if failed:
        result["math_failed_pages"] = ",".join(str(p) for p in sorted(failed))
    sidecar = {"stem": stem, "source": str(pdf), "worker": worker, "device": device,
               "finished_at": time.time(), "scan_sec": round(scan_sec, 4), **result,
               "markdown_sha256": _sha(markdown) if markdown is not None else None}
    if failed:
        sidecar["failed_pages"] = {str(p): r for p, r in sorted(failed.items())}
    if md_now is not None and md_now == source_md:  # keep Phase 1's markdown for a reprocess
        atomic_write_text(_phase1_copy(layout, stem), source_md)
    atomic_write_text(layout.sidecar("math", stem), json.dumps(sidecar, ensure_ascii=False, indent=1))
    if markdown is not None:
        atomic_write_text(layout.markdown(stem), markdown)  # last: its change means the rest is there
    return result


def no_math(engine: str, started: float) -> dict:
    """The result of a document without formulas: nothing is written."""
    return {"formula_total": 0, "math_items": 0, "math_accepted": 0, "engine": engine,
            "math_time_sec": round(time.perf_counter() - started, 4)}


def pdf_of(layout: OutputLayout, stem: str, sources: dict) -> Path:
    downloaded = layout.root / "downloads" / f"{stem}.pdf"
    return downloaded if downloaded.exists() else Path(sources[stem])


def _docling(layout: OutputLayout, stem: str) -> dict | None:
    path = layout.docling_json(stem)
    return load_docling_json(path) if path.exists() else None


def _formula_pages(doc: dict | None) -> set[int]:
    """The pages of Docling's formula items: a scan reads them whatever their fonts."""
    return {it.page_no for it in (doc_items(doc) if doc else []) if it.label == "formula" and it.page_no}


def _phase1_copy(layout: OutputLayout, stem: str) -> Path:
    return layout.sidecar("math", stem).with_suffix(".phase1.md")


def _phase1_markdown(layout: OutputLayout, stem: str) -> tuple[str, str | None]:
    """Phase 1's markdown: the current one, unless it is our own output of an earlier run
    (a reprocess), in which case the copy kept then."""
    path = layout.markdown(stem)
    now = path.read_text(encoding="utf-8") if path.exists() else None
    side = layout.sidecar("math", stem)
    copy = _phase1_copy(layout, stem)
    if now is not None and side.exists() and copy.exists():
        try:
            if json.loads(side.read_text(encoding="utf-8")).get("markdown_sha256") == _sha(now):
                return copy.read_text(encoding="utf-8"), None
        except ValueError:
            pass
    return (now or ""), now


def _target(f, ref: str | None, display: bool, bbox=None, page_no=None, order: tuple = ()) -> dict:
    return {"page_no": page_no or f.page_no, "bbox": tuple(bbox or f.bbox), "display": display, "latex": f.latex,
            "seconds": f.seconds, "engine": "textlayer", "broken": f.broken, "tag": f.tag, "docling_ref": ref,
            "source_text": f.source_text, "order": order,
            "source": [tuple(dict.fromkeys((g.raw or g.ch, g.ch))) for g in sorted(f.glyphs, key=lambda g: g.index)]}


def _area(b) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def _overlap(a, b) -> float:
    return _area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_BEGIN_END = re.compile(r"\\(begin|end)\{([^}]*)\}")
_LEFT, _RIGHT = re.compile(r"\\left(?![A-Za-z])"), re.compile(r"\\right(?![A-Za-z])")


def acceptance(latex: str | None, max_chars: int = MAX_LATEX_CHARS) -> dict[str, bool]:
    """The checks a decoded formula passes before it goes into the markdown."""
    if not latex or not latex.strip():
        return {"decoded": False, "balanced": False, "length_ok": True, "no_repetition": True}
    depth, balanced = 0, True
    unescaped = re.sub(r"\\[{}]", "", latex)
    for ch in unescaped:
        depth += ch == "{"
        depth -= ch == "}"
        if depth < 0:
            balanced = False
            break
    balanced = balanced and depth == 0
    stack = []
    for kind, name in _BEGIN_END.findall(latex):
        if kind == "begin":
            stack.append(name)
        elif not stack or stack.pop() != name:
            balanced = False
    balanced = balanced and not stack and len(_LEFT.findall(latex)) == len(_RIGHT.findall(latex))
    return {
        "decoded": True,
        "balanced": balanced,
        "length_ok": len(latex) <= max_chars,
        "no_repetition": re.search(r"(.{2,16}?)\1{11,}", latex) is None,  # a model caught in a loop
    }


# -- controller side --------------------------------------------------------------------------
def math_row(stem: str, outcome: ItemOutcome) -> dict:
    """A pool outcome as a store row. math_enriched is written only on success."""
    if outcome.status == SUCCESS:
        r = outcome.result
        failed = r.get("math_failed_pages")  # a long document's pages no range could do, "3,7"
        if r["formula_total"] == 0:
            return {"stem": stem, "formula_total": 0, "math_status": NO_MATH, "math_error": None,
                    "math_failed_pages": failed}
        return {"stem": stem, "formula_total": r["formula_total"], "math_enriched": True,
                "math_items": r["math_items"], "math_accepted": r["math_accepted"],
                "math_time_sec": r["math_time_sec"], "math_status": SUCCESS, "math_error": None,
                "processing_stage": "math", "math_failed_pages": failed}
    status = FATAL if outcome.status in (FATAL, SKIPPED) else PROBLEMATIC
    return {"stem": stem, "math_status": status, "math_error": outcome.error or status}


def quarantine(layout: OutputLayout, stem: str, source: str | None) -> list[Path]:
    """Copies of a set-aside document's input and JSON artifacts into the problematic_math folders."""
    copied = []
    downloaded = layout.root / "downloads" / f"{stem}.pdf"
    src = downloaded if downloaded.exists() else (Path(source) if source else None)
    if src is not None and src.is_file():
        copied.append(_copy(src, layout.quarantine("downloads") / f"{stem}{src.suffix.lower() or '.pdf'}"))
    for path in (layout.docling_json(stem), layout.latex_map(stem)):
        if path.is_file():
            copied.append(_copy(path, layout.quarantine("json") / path.name))
    return copied


def _copy(src: Path, dst: Path) -> Path:
    atomic_write(dst, lambda tmp: shutil.copyfile(src, tmp))
    return dst


def math_targets(store, shards: set[str] | None, reprocess: bool = False, skip: set[str] = frozenset()) -> list[dict]:
    """Rows ({stem, path}) for Phase 2: extracted PDFs of the given shards, not skip-listed, not
    needing OCR (unless OCR'd), not done already (unless reprocessing)."""
    cols = ["stem", "path", "shard", "file_ext", "extract_status", "needs_ocr", "ocr_success", "math_status",
            "math_enriched", "missing"]
    df = store.read(cols)
    rows = []
    for r in df.to_dict("records"):
        def get(c):
            return None if c not in r or _na(r[c]) else r[c]

        if shards is not None and get("shard") not in shards:
            continue
        if get("extract_status") != SUCCESS or _true(get("missing")) or r["stem"] in skip:
            continue
        if str(get("file_ext") or Path(str(get("path") or "")).suffix.lstrip(".")).lower() != "pdf":
            continue
        if _true(get("needs_ocr")) and not _true(get("ocr_success")):
            continue
        if get("math_status") == FATAL:
            continue  # set aside: only taking it off the skip-list (and this status) brings it back
        if not reprocess and (_true(get("math_enriched")) or get("math_status") in (SUCCESS, NO_MATH, PROBLEMATIC)):
            continue
        rows.append({"stem": r["stem"], "path": get("path"), "shard": get("shard")})
    return sorted(rows, key=lambda r: r["stem"])


def _true(value) -> bool:
    return value is not None and bool(value)


def _na(value) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def run_math(out_dir, rows: list[dict], config, on_summary=None, on_pool=None, options: MathOptions | None = None,
             accel_type: str = "cuda", **fields):
    """Phase 2 over the given rows (each with `stem` and `path`) on the pool; returns its report.

    A PDF over options.max_pages_per_unit pages goes as page ranges (None: never).
    `options`, or `fields` (MathOptions' names: math_engine, math_batch_size, ...) to build it."""
    from ..state import ProgressStore, SkipList

    options = options or build(MathOptions, **fields)
    layout = OutputLayout(out_dir)
    # a name that is not UTF-8 is opened through a link named by its stem (state/fspath.py)
    rows = [{**r, "path": worker_path(r["path"], r["stem"], layout.store_dir / LINKS) if r.get("path") else None}
            for r in rows]
    sources = {r["stem"]: r["path"] for r in rows}
    task = MathTask(str(layout.root), sources, options, accel_type, math_engine_plugin(options.math_engine))
    skiplist = SkipList(layout.skiplist)

    def to_row(stem: str, outcome: ItemOutcome) -> dict:
        if outcome.status in (FATAL, SKIPPED):  # past the cap, or no device left to take it
            quarantine(layout, stem, sources.get(stem))
            skiplist.add([stem])
        return math_row(stem, outcome)

    def complete(doc) -> dict:
        return assemble(layout, doc, sources)

    # past the respawn cap or without a device, a range sets its whole document aside (Phase 2's rule)
    long = LongDocuments(layout, options.max_pages_per_unit, options.max_failed_page_share, complete,
                         phase="math", set_aside=(FATAL, SKIPPED),
                         inputs=lambda row: [layout.docling_json(row["stem"])])  # a re-extraction voids the parts
    return run_with_ranges(task, rows, long, config, ProgressStore(layout.store_dir), skiplist, to_row,
                           on_summary, on_pool, item_of=lambda r: r["stem"])


def assemble(layout: OutputLayout, doc, sources: dict) -> dict:
    """A long document's ranges (doc: long_docs.LongDoc) as one: their formulas in a whole
    document's order, numbered again, placed and written as enrich writes a whole one's."""
    started = time.perf_counter()
    parts = [read_part(doc.journal.part(first, last)) for first, last in sorted(doc.done)]
    targets = sorted((t for part in parts for t in part["targets"]), key=lambda t: t["order"])
    entries = [{**t["entry"], "item_index": i} for i, t in enumerate(targets)]
    engine = parts[0]["engine"] if parts else "textlayer"
    started -= sum(part["seconds"] for part in parts)  # the ranges' own time, on their workers
    if not entries and not doc.failed:
        return no_math(engine, started)
    return write_enriched(layout, doc.stem, pdf_of(layout, doc.stem, sources), _docling(layout, doc.stem), entries,
                          [t["source"] for t in targets], engine=engine, worker=doc.workers,
                          device=parts[0]["device"] if parts else None,
                          scan_sec=sum(part["scan_sec"] for part in parts), started=started, failed=doc.failed)
