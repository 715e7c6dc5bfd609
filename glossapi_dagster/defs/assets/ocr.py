"""ocr_docs: full-page RapidOCR of the documents triage flagged needs_ocr (GlossAPI's ocr_bad)."""

from dagster import AssetExecutionContext, BackfillPolicy, Failure, MaterializeResult, MetadataValue, asset

from ...backends.preflight import PreflightError
from ...phases.ocr import ocr_targets, run_ocr
from ...pool import SUCCESS, WorkerSetupError
from ...state import OutputLayout, ProgressStore, SkipList
from ..config import OcrConfig
from ..metadata import run_metadata
from ..partitions import shards
from ..resources import CorpusResource, GpuPoolResource
from .extract import extracted_docs


@asset(
    group_name="glossapi",
    partitions_def=shards,
    backfill_policy=BackfillPolicy.single_run(),  # a backfill over many shards: one run, one pool
    deps=[extracted_docs],
    pool="gpu",
    description="The needs_ocr documents of the selected shards OCR'd page by page with RapidOCR "
                "(onnxruntime, CUDA on every GPU): markdown and Docling JSON replaced, ocr_success recorded.",
)
def ocr_docs(context: AssetExecutionContext, config: OcrConfig, corpus: CorpusResource,
             gpu_pool: GpuPoolResource) -> MaterializeResult:
    layout = OutputLayout(corpus.output_dir)
    store = ProgressStore(layout.store_dir)
    keys = set(context.partition_keys)
    manifest = store.read(["stem", "path", "shard"])
    in_scope = set(manifest.loc[manifest["shard"].isin(keys), "stem"]) if "shard" in manifest else set()
    todo = set(ocr_targets(store, in_scope, reprocess=config.reprocess, skip=SkipList(layout.skiplist).read()))
    rows = [r for r in manifest.to_dict("records") if r["stem"] in todo]
    context.log.info(f"{len(rows)} documents flagged needs_ocr to OCR in {len(keys)} shard(s)")
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
    return MaterializeResult(metadata=meta)
