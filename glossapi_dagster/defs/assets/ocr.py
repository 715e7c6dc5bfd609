"""ocr_docs: full-page RapidOCR of the documents triage flagged needs_ocr (GlossAPI's ocr_bad)."""

from dagster import AssetExecutionContext, Failure, MaterializeResult, MetadataValue, asset

from ...backends.preflight import PreflightError
from ...phases.ocr import ocr_targets, run_ocr
from ...pool import SUCCESS, WorkerSetupError
from ...state import OutputLayout, ProgressStore, SkipList
from ..config import OcrConfig
from ..metadata import run_metadata
from ..resources import CorpusResource, GpuPoolResource
from .extract import extracted_docs
from .selection import ON_THE_POOL, manifest_rows, nothing_to_do


@asset(
    **ON_THE_POOL,
    deps=[extracted_docs],
    description="The needs_ocr documents of the selected shards OCR'd page by page with RapidOCR "
                "(onnxruntime, CUDA on every GPU): markdown and Docling JSON replaced, ocr_success recorded.",
)
def ocr_docs(context: AssetExecutionContext, config: OcrConfig, corpus: CorpusResource,
             gpu_pool: GpuPoolResource):
    layout = OutputLayout(corpus.output_dir)
    store = ProgressStore(layout.store_dir)
    keys = set(context.partition_keys)
    todo = ocr_targets(store, reprocess=config.reprocess, skip=SkipList(layout.skiplist).read())
    rows = manifest_rows(store, keys, todo, columns=("stem", "path", "shard"))
    context.log.info(f"{len(rows)} documents flagged needs_ocr to OCR in {len(keys)} shard(s)")
    if not rows:
        nothing_to_do(context)
        return
    try:
        report = run_ocr(
            layout.root, rows, gpu_pool.pool_config(str(layout.root), "ocr"),
            on_summary=lambda s: context.log.info(s.line()), on_pool=gpu_pool.track,
            accel_type=gpu_pool.accel_type, ocr_options=config.ocr_options(), benchmark_mode=config.benchmark_mode,
        )
    except (WorkerSetupError, PreflightError) as exc:
        raise Failure(str(exc)) from exc
    stem_of = {r["path"]: r["stem"] for r in rows}
    done = [stem_of[o.item] for o in report.outcomes if o.status == SUCCESS]
    meta = run_metadata(report, stem_of, layout.markdown(done[0]) if done else None)
    meta["ocr_success"] = len(done)
    meta["ocr_stems"] = MetadataValue.json(sorted(done)[:500])
    yield MaterializeResult(metadata=meta)
