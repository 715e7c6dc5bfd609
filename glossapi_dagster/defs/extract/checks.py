"""Asset checks on the extraction: no silent loss, outputs that parse, a warning on many problems."""
from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, MetadataValue, asset_check

from ...datamodel import settings
from ...pool import PROBLEMATIC, SKIPPED, SUCCESS
from ...state import OutputLayout
from ..check_rows import accounted_for, broken_docling_outputs, counts, done_rows, has_reason
from ..resources import CorpusResource
from .assets import extracted_docs


def _done_rows(context: AssetCheckExecutionContext, corpus: CorpusResource):
    rows = done_rows(context, corpus, extracted_docs.key, ["extract_status", "extract_error", "url", "download_success"])
    # a link that was not downloaded (failed, or a duplicate) is no document: downloaded_files' checks account for it
    fetched = rows["url"].isna() | rows["download_success"].fillna(False).astype(bool)
    return rows[fetched.to_numpy(dtype=bool)] if len(rows) else rows


@asset_check(asset=extracted_docs, description="Every manifest row of a materialized shard is a success, "
             "or problematic / skipped with a reason: nothing lost silently.")
def every_document_accounted_for(context: AssetCheckExecutionContext, corpus: CorpusResource) -> AssetCheckResult:
    rows = _done_rows(context, corpus)
    status = rows["extract_status"]
    ok = (status == SUCCESS) | (status.isin([PROBLEMATIC, SKIPPED]) & has_reason(rows, "extract_error"))
    return accounted_for(rows, ok, by_outcome=counts(status))


@asset_check(asset=extracted_docs, description="Every success has its markdown and a Docling JSON that parses.")
def outputs_exist_and_parse(context: AssetCheckExecutionContext, corpus: CorpusResource) -> AssetCheckResult:
    rows = _done_rows(context, corpus)
    stems = rows.loc[rows["extract_status"] == SUCCESS, "stem"].tolist()
    broken, decoded, validated = broken_docling_outputs(OutputLayout(corpus.output_dir), stems)
    return AssetCheckResult(passed=not broken, metadata={
        "checked": len(stems), "decoded": decoded, "validated": validated, "broken": len(broken),
        "broken_outputs": MetadataValue.json(broken[:100]),
    })


@asset_check(asset=extracted_docs, description="Warns when the share of problematic documents passes "
             "GLOSSAPI_PROBLEMATIC_WARN (default 0.25).")
def problematic_share(context: AssetCheckExecutionContext, corpus: CorpusResource) -> AssetCheckResult:
    threshold = settings().problematic_warn
    rows = _done_rows(context, corpus)
    share = float((rows["extract_status"] == PROBLEMATIC).mean()) if len(rows) else 0.0
    return AssetCheckResult(passed=share <= threshold, severity=AssetCheckSeverity.WARN,
                            metadata={"problematic_share": round(share, 4), "threshold": threshold})
