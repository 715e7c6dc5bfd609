"""Asset checks on ocr_docs: every flagged document OCR'd or failed with a reason, and the outputs
of every OCR'd one there and parsing."""
from dagster import AssetCheckExecutionContext, AssetCheckResult, MetadataValue, asset_check

from ...pool import SUCCESS
from ...state import OutputLayout
from .assets import ocr_docs
from ..check_rows import accounted_for, broken_docling_outputs, done_rows, has_reason
from ..resources import CorpusResource

COLUMNS = ["extract_status", "needs_ocr", "ocr_success", "ocr_error"]


def _flagged(context: AssetCheckExecutionContext, corpus: CorpusResource):
    """Rows of the shards ocr_docs has materialized that OCR was for: extracted and flagged
    needs_ocr, or OCR'd already (success clears the flag)."""
    rows = done_rows(context, corpus, ocr_docs.key, COLUMNS)
    if rows.empty:
        return rows
    tried = rows["ocr_success"].notna() | has_reason(rows, "ocr_error")
    flagged = rows["needs_ocr"].fillna(False).astype(bool) | tried
    return rows[(rows["extract_status"] == SUCCESS) & flagged]


@asset_check(asset=ocr_docs, description="Every document flagged needs_ocr in a materialized shard is OCR'd, "
             "or its OCR failed with a reason (ocr_error): nothing lost silently.")
def every_flagged_document_ocrd(context: AssetCheckExecutionContext, corpus: CorpusResource) -> AssetCheckResult:
    rows = _flagged(context, corpus)
    if rows.empty:
        return AssetCheckResult(passed=True, metadata={"documents": 0, "unaccounted": 0})
    done = rows["ocr_success"].fillna(False).astype(bool)
    return accounted_for(rows, done | has_reason(rows, "ocr_error"), ocrd=int(done.sum()))


@asset_check(asset=ocr_docs, description="Every OCR'd document has its markdown and a Docling JSON that parses.")
def ocr_outputs_exist_and_parse(context: AssetCheckExecutionContext, corpus: CorpusResource) -> AssetCheckResult:
    rows = _flagged(context, corpus)
    stems = rows.loc[rows["ocr_success"].fillna(False).astype(bool), "stem"].tolist() if len(rows) else []
    broken, decoded, validated = broken_docling_outputs(OutputLayout(corpus.output_dir), stems)
    return AssetCheckResult(passed=not broken, metadata={
        "checked": len(stems), "decoded": decoded, "validated": validated, "broken": len(broken),
        "broken_outputs": MetadataValue.json(broken[:100]),
    })


OCR_CHECKS = [every_flagged_document_ocrd, ocr_outputs_exist_and_parse]
