"""Phase 2's worker side (MathTask): find a document's formulas (Docling's formula items, and those
of the text layer), decode them with the chosen backend, check each result (math_accept), put the
accepted ones into markdown/<stem>.md and write json/<stem>.latex_map.jsonl and
sidecars/math/<stem>.json (math_outputs). A long document's range is scanned and decoded the same
way and written as a part (OUT/ranges/math/<stem>/) for the controller (phases/math.py) to assemble.
"""
from __future__ import annotations

import fcntl
import functools
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..pool import WorkerContext
from ..state import OutputLayout
from ..state.atomic import atomic_write_text
from ..state.ranges import RangeJournal, file_fingerprint
from ..backends.math.textlayer.classing import DocFonts
from ..backends.math.markdown import doc_items
from .math_accept import MAX_LATEX_CHARS, acceptance
from .math_outputs import formula_pages, docling_of, no_math, pdf_of, write_enriched
from .ranges import PageRange
from .stitch import write_part
from .task_options import OptionsView


@dataclass
class MathTask:
    out_dir: str
    sources: dict                       # stem -> absolute path of its PDF
    options: OptionsView                # MathOptions, read-only (phases/task_options.py)
    accel_type: str = "cuda"          # resolved: 'cuda' or 'cpu'
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
        worker = Enricher(OutputLayout(self.out_dir), self.sources, textlayer, decoder, hooks,
                           "textlayer" if hooks is not None else engine, self.max_latex_chars, ctx.label, device)
        return worker.process


@dataclass
class Enricher:
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
        doc = docling_of(self.layout, stem)
        scan = self.textlayer.scan(pdf, formula_pages(doc))
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
        doc = docling_of(self.layout, stem)
        journal = RangeJournal(self.layout.root, stem, "", "math")
        must_read = formula_pages(doc)
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


def _target(f, ref: str | None, display: bool, bbox=None, page_no=None, order: tuple = ()) -> dict:
    return {"page_no": page_no or f.page_no, "bbox": tuple(bbox or f.bbox), "display": display, "latex": f.latex,
            "seconds": f.seconds, "engine": "textlayer", "broken": f.broken, "tag": f.tag, "docling_ref": ref,
            "source_text": f.source_text, "order": order,
            "source": [tuple(dict.fromkeys((g.raw or g.ch, g.ch))) for g in sorted(f.glyphs, key=lambda g: g.index)]}


def _area(b) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def _overlap(a, b) -> float:
    return _area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))
