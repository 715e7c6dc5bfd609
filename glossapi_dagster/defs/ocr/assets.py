"""ocr_docs: the failing pages of the documents triage flagged needs_ocr OCR'd (GlossAPI's ocr_bad)."""

from dagster import MetadataValue

from ...backends.preflight import PreflightError
from ...backends.ocr.tesseract import TesseractLanguageMissing
from ...phases.ocr import run_ocr
from ...pool import SUCCESS, WorkerSetupError
from ...state.phase_rows import manifest_rows, ocr_targets
from .config import OcrConfig
from ..extract.assets import extracted_docs
from ..pool_asset import PoolPhase, Step, pool_asset


def _targets(step: Step) -> list[dict]:
    todo = ocr_targets(step.store, reprocess=step.options.reprocess, skip=step.skip)
    return manifest_rows(step.store, step.keys, todo, columns=("stem", "path", "shard"))


def _shard_extras(step: Step, outcomes, stem_of: dict) -> dict:
    done = [o for o in outcomes if o.status == SUCCESS]
    return {
        "ocr_success": len(done),
        "ocr_pages": sum(int((o.result or {}).get("ocr_pages") or 0) for o in done),
        "ocr_stems": MetadataValue.json(sorted(stem_of[o.item] for o in done)[:500]),
    }


ocr_docs = pool_asset(PoolPhase(
    name="ocr_docs", phase="ocr", config_type=OcrConfig, deps=[extracted_docs],
    description="In the needs_ocr documents of the selected shards, the pages whose text layer fails OCR'd "
                "(Tesseract ell/grc/eng, or RapidOCR on every GPU) and merged in; ocr_pages recorded.",
    targets=_targets, run=run_ocr, todo_line="{n} documents flagged needs_ocr to OCR in {shards} shard(s)",
    setup_errors=(WorkerSetupError, PreflightError, TesseractLanguageMissing), shard_extras=_shard_extras,
))
