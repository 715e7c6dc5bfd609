"""GlossAPI's Python API over the Dagster assets: `Corpus(IN, OUT).extract(...)` and `.ocr(...)`.

Each call materializes the same assets as the UI, in process, on the instance DAGSTER_HOME
names (an ephemeral one when unset), so it is a recorded run; a progress bar follows the store.
"""
from __future__ import annotations

import functools
import logging
import os
import time
from pathlib import Path
from typing import Callable

from .corpus_download import download_options, run_download
from .corpus_glossapi import GlossAPIArguments
from .corpus_options import options_signature
from .corpus_sections import SectionsMethods
from .corpus_summary import PhaseSummary
from .datamodel import (DownloadOptions, ExtractOptions, ManifestOptions, MathOptions, OcrOptions, PoolOptions, build,
                        settings)
from .corpus_checks import check_folder, check_writable
from .datamodel.export import CleanOptions, ExportOptions
from .datamodel.options import OCR_MODES
from .defs.instance import call_instance as _instance
from .progress import _ProgressBar
from .state import OutputLayout, ProgressStore

# the export options each of GlossAPI's export methods takes (the others are the format's own)
JOINS = ("metadata_path", "source_metadata_key", "source_metadata_fields", "source_metadata_path")
DATASET_FIELDS = ("dedup", "near_threshold", "by_section", "exclude_sections")
JSONL_FIELDS = ("text_key", "metadata_key", "metadata_fields", "include_remaining_metadata", *JOINS, *DATASET_FIELDS)
SHARDED_FIELDS = ("shard_size_bytes", "shard_prefix", "compression", "compression_level", *JSONL_FIELDS)
PARQUET_FIELDS = ("shard_size_bytes", "shard_prefix", "compression_level", *DATASET_FIELDS)
_SAID: set[str] = set()  # the accel_type 'auto' lines this process has shown


def takes_options(*models, **how) -> Callable:
    """Decorate `method(self, given, <its own parameters>)`: called with any option of `models` by
    name, it receives in `given` only the options the caller passed (the model fills the rest with
    its defaults), and its own parameters (GlossAPI's arguments that are no option) as usual. The
    signature is made from the models (corpus_options.py: `how` is its order, only, exclude)."""

    def decorate(method: Callable) -> Callable:
        made = options_signature(method, models, **how)

        @functools.wraps(method)
        def bound(self, *args, **kwargs):
            given, own = made.split(made.signature.bind(self, *args, **kwargs))
            return method(self, given, **own)

        bound.__signature__, bound.__doc__ = made.signature, made.doc
        return bound

    return decorate


class Corpus(GlossAPIArguments, SectionsMethods):
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

    # -- the downloader (GlossAPI's download) --------------------------------------------
    @takes_options(DownloadOptions, order=("input_parquet", "url_column", "verbose"))
    def download(self, given: dict, verbose: bool | None = None, *, links_column: str | None = None, **kwargs):
        """GlossAPI's download(): the links of IN's first *.parquet (or `input_parquet`; CSV and JSONL
        too) fetched into OUT/downloads, one store row per link with every column of the list; then
        extract() takes the files. Returns the list's rows (GlossAPI's results frame). A rerun fetches
        only what is left; failed links are tried again until skip_failed_after runs.

        The keywords are DownloadOptions' fields (README's options table); GlossAPI's downloader_config
        keys (the constructor's, or **kwargs) are read too (concurrency, per_domain_concurrency,
        max_retries, rate_limit/rate_period, request_timeout, skip_failed_after, ssl_verify, ...).
        `verbose` is accepted and unused (the run's log is in Dagster)."""
        config = getattr(self, "downloader_config", None)
        return run_download(self, download_options(given, links_column, config, kwargs))

    # -- Phase 1 ------------------------------------------------------------------------
    @takes_options(ManifestOptions, ExtractOptions, PoolOptions, only={ManifestOptions: ("input_format",)},
                   order=("input_format", "num_threads", "use_gpus", "devices", "force_ocr", "benchmark_mode",
                          "accel_type", "phase1_backend", "pipeline", "math_requested", "reprocess", "batch_size",
                          "item_timeout", "max_pages", "page_time_budget", "do_ocr", "ocr_engine", "ocr_langs"))
    def extract(self, given: dict, *, file_paths: list | None = None, formula_enrichment: bool = False,
                code_enrichment: bool = False, skip_existing: bool = True, use_cls: bool = False,
                export_doc_json: bool = True, emit_formula_index: bool = False, _prepared: bool = False) -> PhaseSummary:
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
        given.update({k: True for k, v in (("reprocess", glossapi["reprocess"]), ("math_requested", glossapi["then_math"]))
                      if v})
        manifest, options, pool = _options({**given, "shard_size": self.shard_size}, ManifestOptions,
                                           ExtractOptions, PoolOptions)
        if options.force_ocr or options.do_ocr:  # before any work: the engine's models or language data must be there
            _ocr_preflight(options.ocr_engine, options.ocr_langs)
        from .runs import materialize_extraction, materialize_manifest

        resources = self._resources(pool)  # OUT writable (before any worker starts, and before Dagster says anything)
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
            math = self.ocr(mode="math_only", reprocess=options.reprocess, filenames=names, **pool_args)
            summary.run_ids += math.run_ids
        return summary

    # -- OCR remediation and Phase 2 ----------------------------------------------------
    @takes_options(OcrOptions, MathOptions, PoolOptions,
                   order=("use_gpus", "devices", "math_batch_size", "mode", "accel_type", "num_threads", "math_engine",
                          "reprocess", "batch_size", "item_timeout", "ocr_engine", "ocr_langs", "whole_document"))
    def ocr(self, given: dict, mode: str | None = None, *, fix_bad: bool = True, math_enhance: bool = True,
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
        given.update({k: taken[k] for k in ("ocr_engine", "accel_type") if k in taken})
        if taken.get("reprocess"):
            given["reprocess"] = True
        _check_choice("mode", mode, OCR_MODES)
        ocr, math, pool = _options(given, OcrOptions, MathOptions, PoolOptions)
        if not OutputLayout(self.output_dir).store_dir.is_dir():
            raise FileNotFoundError(f"no progress store in {self.output_dir}: run extract first")
        from .runs import materialize_math, materialize_ocr

        if mode != "math_only":
            _ocr_preflight(ocr.ocr_engine, ocr.ocr_langs)
        resources = self._resources(pool)  # OUT writable, before any worker starts
        started, summary = time.monotonic(), PhaseSummary(mode, output_dir=str(self.output_dir))
        with _instance() as instance:
            if mode != "math_only":
                with self._progress_bar("ocr", "ocr_success", ocr.reprocess, todo=None):
                    run = materialize_ocr(instance, resources, **ocr.model_dump())
                summary.add(self._summary("ocr", [], run, "ocr_docs", started), run)
                summary.notes += self._left("ocr")
            if mode != "ocr_bad":
                with self._progress_bar("math", "math_status", math.reprocess, todo=None):
                    run = materialize_math(instance, resources, **math.model_dump())
                summary.add(self._summary("math", [], run, "math_enriched", started), run)
                summary.notes += self._left("math")
        summary.seconds = time.monotonic() - started
        return summary

    # -- clean and the training export (GlossAPI's clean, jsonl, jsonl_sharded) --------------
    @takes_options(CleanOptions, order=("input_dir", "threshold", "num_threads", "drop_bad"))
    def clean(self, given: dict, input_dir: str | os.PathLike | None = None, num_threads: int | None = None, *,
              write_cleaned_files: bool = True, ocr_model_dir=None, force_ocr_fallback: bool = False) -> PhaseSummary:
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
            run = materialize_clean(instance, self._export_resources(), **given)
        df = ProgressStore(OutputLayout(self.output_dir).store_dir).read(["clean_keep", "needs_ocr"])
        keep = df["clean_keep"].fillna(False).astype(bool) if "clean_keep" in df else df["stem"].map(lambda s: False)
        self.good_files = sorted(df.loc[keep.to_numpy(dtype=bool), "stem"])
        summary = PhaseSummary("clean", [run.run_id] if run else [], processed=int(keep.sum()),
                               problematic=int((~keep).sum()), seconds=time.monotonic() - started,
                               output_dir=str(self.output_dir))
        return summary

    @takes_options(ExportOptions, only={ExportOptions: JSONL_FIELDS}, order=("output_path",))
    def jsonl(self, given: dict, output_path: str | os.PathLike) -> Path:
        """GlossAPI's jsonl(): one JSONL file of the usable, deduplicated documents; returns its path.
        metadata_path: a parquet whose row for a document (by filename) is its metadata (over the store's
        columns); source_metadata_key/fields/path: those fields of that parquet's row under that key."""
        path = Path(output_path).absolute()
        report = self._export(path.parent, {**given, "format": "jsonl", "file_name": path.name})
        return Path(report["files"][0]) if report["files"] else path

    @takes_options(ExportOptions, only={ExportOptions: SHARDED_FIELDS}, order=("output_dir",))
    def jsonl_sharded(self, given: dict, output_dir: str | os.PathLike) -> list[Path]:
        """GlossAPI's jsonl_sharded(): <prefix>-000000.jsonl.zst shards of at most shard_size_bytes
        (uncompressed), plus README.md; returns the shard paths. Unchanged shards are not rewritten.
        metadata_path and source_metadata_* as jsonl()'s."""
        report = self._export(Path(output_dir).absolute(), {**given, "format": "jsonl_sharded"})
        return [Path(f) for f in report["files"]]

    @takes_options(ExportOptions, only={ExportOptions: PARQUET_FIELDS}, order=("output_dir",))
    def parquet_sharded(self, given: dict, output_dir: str | os.PathLike) -> list[Path]:
        """zstd parquet shards named as the Hugging Face Hub expects (<prefix>-00000-of-00004.parquet), typed
        columns, and a README.md dataset card; load them with datasets.load_dataset('parquet', data_dir=...)."""
        report = self._export(Path(output_dir).absolute(), {**given, "format": "parquet"})
        return [Path(f) for f in report["files"]]

    def _export(self, dest: Path, config: dict) -> dict:
        from .export.dataset import checked
        from .export.dest import check_dest
        from .runs import materialize_export

        config = {k: v for k, v in config.items() if v is not None}
        for key in ("metadata_fields", "source_metadata_fields", "exclude_sections"):
            if config.get(key) is not None:
                config[key] = [str(config[key])] if isinstance(config[key], str) else [str(f) for f in config[key]]
        for key in ("metadata_path", "source_metadata_path"):  # GlossAPI's metadata joins: paths made absolute
            if config.get(key) is not None:
                config[key] = str(Path(config[key]).absolute())
        if "compression" in config:
            config["compression"] = config["compression"].lower()
        checked(build(ExportOptions, **config))  # a bad option fails before the run
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

    def _summary(self, phase: str, run_ids: list[str], run, node: str, started: float) -> PhaseSummary:
        return PhaseSummary.of_run(phase, run_ids, run, node, time.monotonic() - started, str(self.output_dir))

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


def _ocr_preflight(engine: str, langs: str) -> None:
    from .backends.ocr.engines import ocr_preflight

    ocr_preflight(engine, langs, quiet=True)  # errors now; the run itself logs the choice


def _options(given: dict, *models):
    """One validated model per class, each from the arguments given bearing its field names (the
    model's defaults for the rest); and the GLOSSAPI_* variables checked (a bad one: one clear
    error naming it), before any work."""
    settings()
    return tuple(build(model, **{k: v for k, v in given.items() if k in model.model_fields}) for model in models)


def _check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
