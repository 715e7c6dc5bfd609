"""extracted_docs: markdown and Docling JSON for every document of the selected shards."""

from ...backends.preflight import PreflightError
from ...backends.ocr.tesseract import TesseractLanguageMissing
from ...phases.extract import run_extraction
from ...pool import WorkerSetupError
from ...state.phase_rows import extract_rows
from .config import ExtractConfig
from ..download.assets import downloaded_files
from ..download.manifest import download_results
from ..pool_asset import PoolPhase, Step, pool_asset


def _targets(step: Step) -> list[dict]:
    return extract_rows(step.store, step.keys, reprocess=step.options.reprocess, skip=step.skip)


extracted_docs = pool_asset(PoolPhase(
    name="extracted_docs", phase="extract", config_type=ExtractConfig, deps=[download_results, downloaded_files],
    description="markdown/<stem>.md, json/<stem>.docling.json.zst, sidecars and metrics, on every GPU.",
    targets=_targets, run=run_extraction,
    todo_line="{n} documents to extract in {shards} shard(s); the rest are done or set aside",
    setup_errors=(WorkerSetupError, TesseractLanguageMissing, PreflightError),
))
