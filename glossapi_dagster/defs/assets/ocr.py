"""ocr_docs: the failing pages of the documents triage flagged needs_ocr OCR'd (GlossAPI's ocr_bad)."""

from dagster import AssetExecutionContext, Failure, MaterializeResult, MetadataValue, asset

from ...backends.preflight import PreflightError
from ...backends.tesseract_ocr import TesseractLanguageMissing
from ...datamodel import OptionsError
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
    description="In the needs_ocr documents of the selected shards, the pages whose text layer fails OCR'd "
                "(Tesseract ell/grc/eng, or RapidOCR on every GPU) and merged in; ocr_pages recorded.",
)
def ocr_docs(context: AssetExecutionContext, config: OcrConfig, corpus: CorpusResource,
             gpu_pool: GpuPoolResource):
    layout = OutputLayout(corpus.output_dir)
    store = ProgressStore(layout.store_dir)
    keys = set(context.partition_keys)
    try:
        options = config.options()
    except OptionsError as exc:
        raise Failure(str(exc), allow_retries=False) from exc
    todo = ocr_targets(store, reprocess=options.reprocess, skip=SkipList(layout.skiplist).read())
    rows = manifest_rows(store, keys, todo, columns=("stem", "path", "shard"))
    context.log.info(f"{len(rows)} documents flagged needs_ocr to OCR in {len(keys)} shard(s)")
    if not rows:
        nothing_to_do(context)
        return
    try:
        report = run_ocr(
            layout.root, rows, gpu_pool.pool_config(str(layout.root), "ocr"),
            on_summary=lambda s: context.log.info(s.line()), on_pool=gpu_pool.track,
            options=options, accel_type=gpu_pool.accel_type, log=context.log,
        )
    except (WorkerSetupError, PreflightError, TesseractLanguageMissing) as exc:
        raise Failure(str(exc)) from exc
    stem_of = {r["path"]: r["stem"] for r in rows}
    done = [stem_of[o.item] for o in report.outcomes if o.status == SUCCESS]
    meta = run_metadata(report, stem_of, layout.markdown(done[0]) if done else None)
    meta["ocr_success"] = len(done)
    meta["ocr_pages"] = sum(int((o.result or {}).get("ocr_pages") or 0) for o in report.outcomes if o.status == SUCCESS)
    meta["ocr_stems"] = MetadataValue.json(sorted(done)[:500])
    yield MaterializeResult(metadata=meta)
