"""extracted_docs: markdown and Docling JSON for every document of the selected shards."""

from dagster import AssetExecutionContext, Failure, MaterializeResult, asset

from ...backends.tesseract_ocr import TesseractLanguageMissing
from ...phases.extract import run_extraction
from ...pool import WorkerSetupError
from ...state import OutputLayout, ProgressStore, SkipList
from ..config import ExtractConfig
from ..metadata import run_metadata
from ..resources import CorpusResource, GpuPoolResource
from .download_results import download_results
from .selection import ON_THE_POOL, manifest_rows, nothing_to_do


@asset(
    **ON_THE_POOL,
    deps=[download_results],
    description="markdown/<stem>.md, json/<stem>.docling.json.zst, sidecars and metrics, on every GPU.",
)
def extracted_docs(context: AssetExecutionContext, config: ExtractConfig, corpus: CorpusResource,
                   gpu_pool: GpuPoolResource):
    layout = OutputLayout(corpus.output_dir)
    store = ProgressStore(layout.store_dir)
    keys = set(context.partition_keys)
    todo = store.pending("extract_status", reprocess=config.reprocess, skip=SkipList(layout.skiplist).read())
    rows = manifest_rows(store, keys, todo)
    context.log.info(f"{len(rows)} documents to extract in {len(keys)} shard(s); the rest are done or set aside")
    if not rows:
        nothing_to_do(context)
        return
    try:
        report = run_extraction(
            layout.root, rows, gpu_pool.pool_config(str(layout.root), "extract"),
            on_summary=lambda s: context.log.info(s.line()), on_pool=gpu_pool.track,
            pipeline=config.pipeline, phase1_backend=config.phase1_backend, force_ocr=config.force_ocr,
            math_requested=config.math_requested, accel_type=gpu_pool.accel_type,
            artifacts_path=config.artifacts_path, benchmark_mode=config.benchmark_mode,
            max_pages=config.max_pages, page_time_budget=config.page_time_budget,
            do_ocr=config.do_ocr, ocr_engine=config.ocr_engine, ocr_langs=config.ocr_langs,
            reprocess=config.reprocess, log=context.log,
            max_pages_per_unit=config.max_pages_per_unit, max_failed_page_share=config.max_failed_page_share,
        )
    except (WorkerSetupError, TesseractLanguageMissing) as exc:
        raise Failure(str(exc)) from exc
    stem_of = {r["path"]: r["stem"] for r in rows}
    done = [stem_of[o.item] for o in report.outcomes if o.status == "success"]
    preview = layout.markdown(done[0]) if done else None
    yield MaterializeResult(metadata=run_metadata(report, stem_of, preview))
