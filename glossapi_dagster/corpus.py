"""GlossAPI's Python API over the Dagster assets: `Corpus(IN, OUT).extract(...)` and `.ocr(...)`.

Each call materializes the same assets as the UI, in process, on the instance DAGSTER_HOME
names (an ephemeral one when unset), so it is a recorded run; a progress bar follows the store.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .corpus_download import DownloadMixin
from .corpus_glossapi import GlossAPIArguments
from .corpus_sections import SectionsMethods
from .datamodel import ExtractOptions, ManifestOptions, MathOptions, OcrOptions, PoolOptions, build, settings
from .corpus_checks import check_folder, check_writable
from .datamodel.options import OCR_MODES
from .defs.instance import call_instance as _instance
from .state import OutputLayout, ProgressStore

TERMINAL = ("success", "problematic", "skipped")
_SAID: set[str] = set()  # the accel_type 'auto' lines this process has shown


@dataclass
class PhaseSummary:
    """A call's counts; a call of several phases (ocr_bad_then_math) sums its parts' counts (a
    document OCR'd, then enriched, is in both) and shows each part's on its line."""

    phase: str
    run_ids: list[str] = field(default_factory=list)
    processed: int = 0
    problematic: int = 0
    skipped: int = 0
    seconds: float = 0.0
    output_dir: str = ""
    notes: list[str] = field(default_factory=list)          # what was left undone, and why
    parts: list["PhaseSummary"] = field(default_factory=list)

    def counts(self) -> str:
        return f"{self.processed} processed, {self.problematic} problematic, {self.skipped} skipped"

    def __str__(self) -> str:
        counts = "; ".join(f"{p.phase} {p.counts()}" for p in self.parts) if len(self.parts) > 1 else self.counts()
        return "\n".join([f"{self.phase}: {counts} in {self.seconds:.1f}s -> {self.output_dir}",
                          *(f"note: {n}" for n in self.notes)])


class Corpus(GlossAPIArguments, SectionsMethods, DownloadMixin):
    def __init__(self, input_dir: str | os.PathLike, output_dir: str | os.PathLike,
                 section_classifier_model_path: str | os.PathLike | None = None,
                 extraction_model_path: str | os.PathLike | None = None, metadata_path: str | os.PathLike | None = None,
                 annotation_mapping: dict | None = None, downloader_config: dict | None = None,
                 log_level: int = logging.INFO, verbose: bool = False, *, shard_size: int = 1000,
                 progress: bool = True):
        """GlossAPI's constructor (corpus_glossapi.py says what each of its arguments does here);
        shard_size: files per shard (partition) of new documents; progress: the progress bars."""
        self.input_dir = Path(input_dir).absolute()
        self.output_dir = Path(output_dir).absolute()
        self.shard_size = build(ManifestOptions, shard_size=shard_size).shard_size
        self.progress = progress
        self._take_glossapi_arguments(section_classifier_model_path, extraction_model_path, metadata_path,
                                      annotation_mapping, downloader_config, log_level, verbose)
        check_folder(self.input_dir, "input")

    # -- Phase 1 ------------------------------------------------------------------------
    def extract(self, input_format: str = "all", num_threads: int | None = None, use_gpus: str = "single",
                devices: list[int] | None = None, force_ocr: bool = False, benchmark_mode: bool = False,
                accel_type: str = "auto", phase1_backend: str = "auto", pipeline: str = "native",
                math_requested: bool = False, reprocess: bool = False, batch_size: int = 1,
                item_timeout: float | None = 1800.0, max_pages: int | None = None,
                page_time_budget: float = 20.0, do_ocr: bool = False, ocr_engine: str = "auto",
                ocr_langs: str = "ell+eng", *, artifacts_path: str | None = None, summary_interval: float = 30.0,
                max_attempts: int = 2, respawn_cap: int = 5, respawn_delay: float = 0.0,
                respawn_backoff: str = "none", max_pages_per_unit: int | None = 100,
                max_failed_page_share: float = 0.1, max_items_per_worker: int | None = None,
                max_worker_rss_mb: float | None = None, range_startup_timeout: float = 120.0,
                filenames: list[str] | None = None, file_paths: list | None = None,
                formula_enrichment: bool = False, code_enrichment: bool = False, skip_existing: bool = True,
                use_cls: bool = False, export_doc_json: bool = True, emit_formula_index: bool = False,
                _prepared: bool = False) -> PhaseSummary:
        """Every document of the input folder to markdown and Docling JSON (GlossAPI's defaults).

        The arguments are ManifestOptions', ExtractOptions' and PoolOptions' fields (datamodel/options.py,
        and the README's options table): max_pages: a longer PDF is problematic (safe backend);
        page_time_budget: seconds one page may take there (GlossAPI's 20 s). force_ocr: every page
        OCR'd; do_ocr: only the pages whose text layer fails. max_pages_per_unit: a longer PDF goes
        as page ranges of this size, any worker taking any (None: never); max_failed_page_share: a
        document with more failed pages is problematic. max_items_per_worker / max_worker_rss_mb: a
        worker is replaced after so many items or past so much memory (None: never). A bad value
        is a ValueError naming it.

        GlossAPI's own: filenames / file_paths: only these documents of the input folder (names,
        stems or paths); skip_existing=False: reprocess (failed documents again; a success is kept, with
        a warning saying so); formula_enrichment: Phase 2 follows
        (ocr(mode='math_only')); code_enrichment, use_cls, export_doc_json, emit_formula_index:
        accepted, with a warning saying why they change nothing here."""
        glossapi = self._glossapi_extract_arguments(formula_enrichment, code_enrichment, skip_existing, use_cls,
                                                    export_doc_json, emit_formula_index, _prepared)
        reprocess = reprocess or glossapi["reprocess"]
        math_requested = math_requested or glossapi["then_math"]
        manifest, options, pool = _options({**locals(), "shard_size": self.shard_size}, ManifestOptions,
                                           ExtractOptions, PoolOptions)
        if options.force_ocr or options.do_ocr:  # before any work: the engine's models or language data must be there
            _ocr_preflight(options.ocr_engine, options.ocr_langs)
        check_writable(self.output_dir)  # before any worker starts, and before Dagster says anything
        from .runs import materialize_extraction, materialize_manifest

        resources = self._resources(pool)
        with _instance() as instance:
            run = materialize_manifest(instance, resources, manifest.input_format, self.shard_size)
            names = self._names_to_extract(options.filenames, file_paths)
            options = options.model_copy(update={"filenames": names})
            with self._progress_bar("extract", "extract_status", options.reprocess, only=names):
                started = time.monotonic()
                extraction = materialize_extraction(instance, resources, **options.model_dump())
        summary = self._summary("extract", [run.run_id] + ([extraction.run_id] if extraction else []), extraction,
                                "extracted_docs", started)
        scan = run.asset_materializations_for_node("download_results")[0].metadata
        summary.problematic += int(scan["problematic"].value)  # files the scan could not read
        if int(scan["folders_not_scanned"].value):
            summary.notes.append(f"{scan['folders_not_scanned'].value} folder(s) of {self.input_dir} not scanned "
                                 "(each with its reason in the log above)")
        if glossapi["then_math"]:  # GlossAPI's formula_enrichment: formulas decoded; here that is Phase 2
            self.logger.info("formula_enrichment: decoding the formulas (Phase 2, ocr(mode='math_only'))")
            pool_args = {**pool.model_dump(), "accel_type": resources["gpu_pool"].accel_type}  # decided once
            math = self.ocr(mode="math_only", reprocess=reprocess, filenames=names, **pool_args)
            summary.run_ids += math.run_ids
        return summary

    # -- OCR remediation and Phase 2 ----------------------------------------------------
    def ocr(self, use_gpus: str = "single", devices: list[int] | None = None, math_batch_size: int = 8,
            mode: str | None = None, accel_type: str = "auto", num_threads: int | None = None,
            math_engine: str = "auto", reprocess: bool = False, batch_size: int = 1,
            item_timeout: float | None = 1800.0, ocr_engine: str = "auto", ocr_langs: str = "ell+eng",
            whole_document: bool = False, *, dpi: int | None = None, max_side_len: int | None = None,
            max_pages: int | None = None, use_cls: bool = False, model_dir: str | None = None,
            det_model: str | None = None, rec_model: str | None = None, cls_model: str | None = None,
            keys: str | None = None, benchmark_mode: bool = False, artifacts_path: str | None = None,
            max_pages_per_unit: int | None = 100, max_failed_page_share: float = 0.1,
            math_respawn_cap: int | None = None, summary_interval: float = 30.0, max_attempts: int = 2,
            respawn_cap: int = 5, respawn_delay: float = 0.0, respawn_backoff: str = "none",
            max_items_per_worker: int | None = None, max_worker_rss_mb: float | None = None,
            page_time_budget: float = 20.0, range_startup_timeout: float = 120.0,
            filenames: list[str] | None = None, fix_bad: bool = True, math_enhance: bool = True,
            backend: str | None = None, device: str | None = None, **glossapi) -> PhaseSummary:
        """GlossAPI's ocr(): 'ocr_bad' OCRs the failing pages of the documents triage flagged
        needs_ocr (every page with whole_document); 'math_only' decodes the formulas (Phase 2);
        'ocr_bad_then_math' (None) does both. The other arguments are OcrOptions', MathOptions' and
        PoolOptions' fields (reprocess and artifacts_path apply to both phases).

        GlossAPI's own: without a mode, fix_bad and math_enhance choose it as there; backend
        (rapidocr, tesseract) is ocr_engine; device ('cuda', 'cpu') is accel_type; force,
        reprocess_completed and skip_existing=False are reprocess; its other arguments (limit,
        persist_engine, precision, math_targets, math_dpi_base, the debug flags) are accepted with a
        warning saying why they change nothing here."""
        mode, taken = self._glossapi_ocr_arguments(mode, fix_bad, math_enhance, backend, device, glossapi)
        if mode is None:
            return PhaseSummary("ocr", output_dir=str(self.output_dir))  # GlossAPI: neither flag, nothing to do
        ocr_engine, accel_type = taken.get("ocr_engine", ocr_engine), taken.get("accel_type", accel_type)
        reprocess = reprocess or taken.get("reprocess", False)
        _check_choice("mode", mode, OCR_MODES)
        ocr, math, pool = _options(locals(), OcrOptions, MathOptions, PoolOptions)
        if not OutputLayout(self.output_dir).store_dir.is_dir():
            raise FileNotFoundError(f"no progress store in {self.output_dir}: run extract first")
        check_writable(self.output_dir)
        from .runs import materialize_math, materialize_ocr

        if mode != "math_only":
            _ocr_preflight(ocr.ocr_engine, ocr.ocr_langs)
        resources = self._resources(pool)
        started, summary = time.monotonic(), PhaseSummary(mode, output_dir=str(self.output_dir))
        with _instance() as instance:
            if mode != "math_only":
                with self._progress_bar("ocr", "ocr_success", reprocess, todo=None):
                    run = materialize_ocr(instance, resources, **ocr.model_dump())
                summary = self._merge(summary, self._summary("ocr", [], run, "ocr_docs", started), run)
                summary.notes += self._left("ocr")
            if mode != "ocr_bad":
                with self._progress_bar("math", "math_status", reprocess, todo=None):
                    run = materialize_math(instance, resources, **math.model_dump())
                summary = self._merge(summary, self._summary("math", [], run, "math_enriched", started), run)
                summary.notes += self._left("math")
        summary.seconds = time.monotonic() - started
        return summary

    # -- clean and the training export (GlossAPI's clean, jsonl, jsonl_sharded) --------------
    def clean(self, input_dir: str | os.PathLike | None = None, threshold: float = 0.10, num_threads: int | None = None,
              drop_bad: bool = True, *, write_cleaned_files: bool = True, ocr_model_dir=None,
              force_ocr_fallback: bool = False, empty_char_threshold: int = 0, empty_min_pages: int = 0) -> PhaseSummary:
        """GlossAPI's clean(): triage's signals decide `filter` and `needs_ocr` of every extracted document
        (mojibake_badness_score > threshold, empty text); drop_bad keeps those needing OCR out of the export.
        A recorded run of the cleaned_docs asset. Sets self.good_files as GlossAPI does.

        No-ops, accepted for GlossAPI's scripts: num_threads (the signals are already in the store: nothing
        is scored again), write_cleaned_files (the markdown is cleaned at extraction; there is no separate
        clean_markdown/ copy), ocr_model_dir and force_ocr_fallback (deprecated no-ops in GlossAPI too).
        input_dir other than OUT/markdown is rejected: clean decides over the documents of the store."""
        if input_dir is not None and Path(input_dir).absolute() != OutputLayout(self.output_dir).root / "markdown":
            raise ValueError(f"clean() decides over the documents of {self.output_dir}'s store; input_dir "
                             f"{input_dir!r} is not supported here (leave it unset)")
        from .runs import materialize_clean

        self._require_store()
        started = time.monotonic()
        with _instance() as instance:
            run = materialize_clean(instance, self._export_resources(), threshold=threshold, drop_bad=drop_bad,
                                    empty_char_threshold=empty_char_threshold, empty_min_pages=empty_min_pages)
        df = ProgressStore(OutputLayout(self.output_dir).store_dir).read(["clean_keep", "needs_ocr"])
        keep = df["clean_keep"].fillna(False).astype(bool) if "clean_keep" in df else df["stem"].map(lambda s: False)
        self.good_files = sorted(df.loc[keep.to_numpy(dtype=bool), "stem"])
        summary = PhaseSummary("clean", [run.run_id] if run else [], processed=int(keep.sum()),
                               problematic=int((~keep).sum()), seconds=time.monotonic() - started,
                               output_dir=str(self.output_dir))
        return summary

    def jsonl(self, output_path: str | os.PathLike, *, text_key: str = "document", metadata_key: str | None = None,
              metadata_fields=None, include_remaining_metadata: bool = True, metadata_path=None,
              source_metadata_key=None, source_metadata_fields=None, source_metadata_path=None,
              dedup: bool = True, near_threshold: float | None = None, by_section: bool = False,
              exclude_sections=None) -> Path:
        """GlossAPI's jsonl(): one JSONL file of the usable, deduplicated documents; returns its path.
        metadata_path: a parquet whose row for a document (by filename) is its metadata (over the store's
        columns); source_metadata_key/fields/path: those fields of that parquet's row under that key."""
        path = Path(output_path).absolute()
        report = self._export(path.parent, format="jsonl", file_name=path.name, text_key=text_key,
                              metadata_key=metadata_key, metadata_fields=metadata_fields,
                              include_remaining_metadata=include_remaining_metadata, dedup=dedup,
                              near_threshold=near_threshold, by_section=by_section, exclude_sections=exclude_sections,
                              **_joins(metadata_path, source_metadata_key, source_metadata_fields, source_metadata_path))
        return Path(report["files"][0]) if report["files"] else path

    def jsonl_sharded(self, output_dir: str | os.PathLike, *, shard_size_bytes: int = 500 * 1024 * 1024,
                      shard_prefix: str = "train", compression: str = "zstd", compression_level: int = 3,
                      text_key: str = "document", metadata_key: str | None = None, metadata_fields=None,
                      include_remaining_metadata: bool = True, metadata_path=None, source_metadata_key=None,
                      source_metadata_fields=None, source_metadata_path=None, dedup: bool = True,
                      near_threshold: float | None = None, by_section: bool = False,
                      exclude_sections=None) -> list[Path]:
        """GlossAPI's jsonl_sharded(): <prefix>-000000.jsonl.zst shards of at most shard_size_bytes
        (uncompressed), plus README.md; returns the shard paths. Unchanged shards are not rewritten.
        metadata_path and source_metadata_* as jsonl()'s."""
        report = self._export(Path(output_dir).absolute(), format="jsonl_sharded", shard_size_bytes=shard_size_bytes,
                              shard_prefix=shard_prefix, compression=compression.lower(),
                              compression_level=compression_level, text_key=text_key, metadata_key=metadata_key,
                              metadata_fields=metadata_fields, include_remaining_metadata=include_remaining_metadata,
                              dedup=dedup, near_threshold=near_threshold, by_section=by_section,
                              exclude_sections=exclude_sections,
                              **_joins(metadata_path, source_metadata_key, source_metadata_fields, source_metadata_path))
        return [Path(f) for f in report["files"]]

    def parquet_sharded(self, output_dir: str | os.PathLike, *, shard_size_bytes: int = 500 * 1024 * 1024,
                        shard_prefix: str = "train", compression_level: int = 3, dedup: bool = True,
                        near_threshold: float | None = None, by_section: bool = False,
                        exclude_sections=None) -> list[Path]:
        """zstd parquet shards named as the Hugging Face Hub expects (<prefix>-00000-of-00004.parquet), typed
        columns, and a README.md dataset card; load them with datasets.load_dataset('parquet', data_dir=...)."""
        report = self._export(Path(output_dir).absolute(), format="parquet", shard_size_bytes=shard_size_bytes,
                              shard_prefix=shard_prefix, compression_level=compression_level, dedup=dedup,
                              near_threshold=near_threshold, by_section=by_section, exclude_sections=exclude_sections)
        return [Path(f) for f in report["files"]]

    def _export(self, dest: Path, **config) -> dict:
        from .runs import materialize_export
        from .export import ExportOptions
        from .export.dest import check_dest

        config = {k: v for k, v in config.items() if v is not None}
        for key in ("metadata_fields", "source_metadata_fields", "exclude_sections"):
            if config.get(key) is not None:
                config[key] = [str(config[key])] if isinstance(config[key], str) else [str(f) for f in config[key]]
        ExportOptions(**{k: v for k, v in config.items()}).check()  # a bad option fails before the run
        self._require_store()
        check_dest(dest, self.output_dir)  # nor over OUT's files, nor into an input folder
        with _instance() as instance:
            run = materialize_export(instance, self._export_resources(), dest=str(dest), **config)
            meta = run.asset_materializations_for_node("training_dataset")[0].metadata
        self.last_export = {k: v.value for k, v in meta.items()}
        return {"files": [str(dest / f) for f in meta["files"].value], "run_id": run.run_id}

    def _require_store(self) -> None:
        if not OutputLayout(self.output_dir).store_dir.is_dir():
            raise FileNotFoundError(f"no progress store in {self.output_dir}: run extract first")

    def _export_resources(self) -> dict:
        from .defs.resources import CorpusResource

        return {"corpus": CorpusResource(input_dir=str(self.input_dir), output_dir=str(self.output_dir))}

    @staticmethod
    def _merge(total: PhaseSummary, part: PhaseSummary, run) -> PhaseSummary:
        total.run_ids += [run.run_id] if run is not None else []
        total.parts.append(part)
        total.processed += part.processed
        total.problematic += part.problematic
        total.skipped += part.skipped
        return total

    def _left(self, phase: str) -> list[str]:
        """What the phase could have taken and did not: never silently '0 processed'."""
        from .phases.undone import left_note
        from .state import SkipList

        layout = OutputLayout(self.output_dir)
        note = left_note(ProgressStore(layout.store_dir), phase, SkipList(layout.skiplist).read())
        return [note] if note else []

    # -- helpers ------------------------------------------------------------------------
    def _resources(self, pool: PoolOptions) -> dict:
        from .backends.preflight import choose_accel
        from .defs.resources import CorpusResource, GpuPoolResource
        from .pool import resolve_devices

        # before any work: the GPUs asked for must really be there ('cuda'), or are used where they
        # are ('auto', else the CPU, said in one line); a CPU worker stands for device 0 when 'cuda' is asked
        devices = resolve_devices(pool.use_gpus, pool.devices) if pool.accel_type != "cpu" else []
        ids = [d.cuda_id if d.cuda_id is not None else 0 for d in devices] if pool.accel_type == "cuda" else \
            [d.cuda_id for d in devices if d.cuda_id is not None]
        accel, note = choose_accel(pool.accel_type, ids)
        if note and note not in _SAID:  # one line, not one a phase
            _SAID.add(note)
            self.logger.warning(note)
        check_writable(self.output_dir)  # before any worker starts: a read-only OUT is one clear error
        return {
            "corpus": CorpusResource(input_dir=str(self.input_dir), output_dir=str(self.output_dir)),
            "gpu_pool": GpuPoolResource(**{**pool.model_dump(), "accel_type": accel}),
        }

    def _progress_bar(self, phase: str, column: str, reprocess: bool, todo: str | None = "pending", only=None):
        return _ProgressBar(ProgressStore(OutputLayout(self.output_dir).store_dir), phase, column, reprocess,
                            enabled=self.progress, known_total=todo is not None, only=only)

    def _summary(self, phase: str, run_ids: list[str], run, node: str, started: float) -> PhaseSummary:
        """Counts from the run's materialization metadata: one per shard, each with that shard's counts."""
        summary = PhaseSummary(phase, run_ids, seconds=time.monotonic() - started, output_dir=str(self.output_dir))
        mats = run.asset_materializations_for_node(node) if run is not None else []
        summary.processed = sum(int(m.metadata["processed"].value) for m in mats)
        summary.problematic = sum(int(m.metadata["problematic"].value) for m in mats)
        summary.skipped = sum(int(m.metadata["skipped"].value) for m in mats)
        return summary


def _joins(metadata_path, source_metadata_key, source_metadata_fields, source_metadata_path) -> dict:
    """GlossAPI's metadata joins of jsonl() and jsonl_sharded(), as export options (paths made absolute)."""
    path = lambda p: str(Path(p).absolute()) if p is not None else None  # noqa: E731
    return {"metadata_path": path(metadata_path), "source_metadata_key": source_metadata_key,
            "source_metadata_fields": list(source_metadata_fields) if source_metadata_fields is not None else None,
            "source_metadata_path": path(source_metadata_path)}


def _ocr_preflight(engine: str, langs: str) -> None:
    from .backends.ocr.engines import ocr_preflight

    ocr_preflight(engine, langs, quiet=True)  # errors now; the run itself logs the choice


def _options(values: dict, *models):
    """One validated model per class, each from the arguments bearing its field names; and the
    GLOSSAPI_* variables checked (a bad one: one clear error naming it), before any work."""
    settings()
    return tuple(build(model, **{k: values[k] for k in model.model_fields}) for model in models)


def _check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")


class _ProgressBar:
    """A terminal bar (done, problematic, rate, time left) fed by polling the progress store."""

    def __init__(self, store: ProgressStore, phase: str, column: str, reprocess: bool, enabled: bool = True,
                 known_total: bool = True, only=None):
        """With known_total, the bar counts the stems pending now (only: of those named); else every
        row the run updates."""
        self.store, self.phase, self.column, self.enabled = store, phase, column, enabled
        self.todo = set(store.pending(column, reprocess=reprocess)) if enabled and known_total else None
        if self.todo and only:
            from .state.names import match_names

            rows, _ = match_names(store.read(["stem", "path"]).to_dict("records"), only)
            self.todo &= {r["stem"] for r in rows}
        self.stop = threading.Event()

    def __enter__(self):
        if self.enabled and self.todo != set():
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()
        return self

    def _run(self) -> None:
        from tqdm import tqdm

        start = time.time()
        with tqdm(total=len(self.todo) if self.todo is not None else None, desc=self.phase, unit="doc") as bar:
            while not self.stop.wait(1.0):
                self._update(bar, start)
            self._update(bar, start)

    def _update(self, bar, start: float) -> None:
        try:
            df = self.store.read(["stem", self.column, "updated_at"])
        except Exception:
            return
        if self.column not in df:
            return
        import pandas as pd

        values = df[self.column]
        # a yes/no column (ocr_success) is finished once set; a status column at a terminal value
        flag = pd.api.types.is_bool_dtype(values.dtype)
        finished = values.notna() if flag or self.todo is None else values.isin(TERMINAL)
        if self.todo is not None:
            finished &= df["stem"].isin(self.todo)
        mine = df[finished.fillna(False).to_numpy(dtype=bool)]
        # a boolean array, not a Series: an empty Series would be read as a selection of columns
        recent = mine["updated_at"].map(lambda t: t is not None and t == t and t.timestamp() >= start - 1)
        mine = mine[recent.to_numpy(dtype=bool, na_value=False)]
        bad = mine[self.column].eq(False) if flag else mine[self.column].isin(("problematic", "fatal"))
        bar.n = len(mine)
        bar.set_postfix(problematic=int(bad.fillna(False).sum()), refresh=False)
        bar.refresh()

    def __exit__(self, *exc):
        self.stop.set()
        if getattr(self, "thread", None):
            self.thread.join(5)
