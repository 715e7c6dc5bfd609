"""extracted_docs: markdown and Docling JSON for every document of the selected shards."""

from ...backends.preflight import PreflightError
from ...backends.ocr.tesseract import TesseractLanguageMissing
from ...phases.extract import run_extraction
from ...pool import WorkerSetupError
from ..config import ExtractConfig
from .download_results import download_results
from .pool_asset import PoolPhase, Step, pool_asset
from .selection import manifest_rows


def _targets(step: Step) -> list[dict]:
    todo = step.store.pending("extract_status", reprocess=step.config.reprocess, skip=step.skip)
    return manifest_rows(step.store, step.keys, todo)


def _run(step: Step, rows: list[dict], pool_config):
    config, gpu_pool = step.config, step.gpu_pool
    return run_extraction(
        step.layout.root, rows, pool_config, **step.pool_kwargs(),
        pipeline=config.pipeline, phase1_backend=config.phase1_backend, force_ocr=config.force_ocr,
        math_requested=config.math_requested, accel_type=gpu_pool.accel_type,
        artifacts_path=config.artifacts_path, benchmark_mode=config.benchmark_mode,
        max_pages=config.max_pages, page_time_budget=config.page_time_budget,
        do_ocr=config.do_ocr, ocr_engine=config.ocr_engine, ocr_langs=config.ocr_langs,
        reprocess=config.reprocess, log=step.context.log,
    )


extracted_docs = pool_asset(PoolPhase(
    name="extracted_docs", phase="extract", config_type=ExtractConfig, deps=[download_results],
    description="markdown/<stem>.md, json/<stem>.docling.json.zst, sidecars and metrics, on every GPU.",
    targets=_targets, run=_run,
    todo_line="{n} documents to extract in {shards} shard(s); the rest are done or set aside",
    setup_errors=(WorkerSetupError, TesseractLanguageMissing, PreflightError),
))
