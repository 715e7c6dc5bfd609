"""cleaned_docs (clean's decision per shard) and training_dataset (the deduplicated export)."""
from pathlib import Path

from dagster import AssetExecutionContext, BackfillPolicy, Failure, MaterializeResult, MetadataValue, asset

from ...export import clean_store, export_dataset
from ...state import OutputLayout, ProgressStore
from .config import CleanConfig, ExportConfig
from ..partitions import shards
from ..resources import CorpusResource
from ..extract.assets import extracted_docs
from ..sections.assets import annotated_sections


@asset(group_name="glossapi", partitions_def=shards, backfill_policy=BackfillPolicy.single_run(),
       deps=[extracted_docs],
       description="GlossAPI's clean(): the triage signals decide filter and needs_ocr of every extracted "
                   "document of the selected shards; clean_keep says whether it goes into the export.")
def cleaned_docs(context: AssetExecutionContext, config: CleanConfig, corpus: CorpusResource) -> MaterializeResult:
    store = ProgressStore(OutputLayout(corpus.output_dir).store_dir)
    keys = set(context.partition_keys)
    rows = store.read(["shard"])
    stems = set(rows.loc[rows["shard"].isin(keys), "stem"]) if "shard" in rows else set()
    try:
        report = clean_store(store, stems, **config.options().model_dump())
    except ValueError as exc:
        raise Failure(str(exc), allow_retries=False) from exc
    context.log.info(f"clean: {report.documents} documents, {report.kept} kept, {report.needs_ocr} need OCR")
    return MaterializeResult(metadata={
        "documents": report.documents, "kept": report.kept, "needs_ocr": report.needs_ocr,
        "filtered": report.documents - report.kept, "reasons": MetadataValue.json(report.reasons),
        "threshold": config.threshold, "drop_bad": config.drop_bad,
    })


@asset(group_name="glossapi", deps=[cleaned_docs, annotated_sections],
       description="The training dataset: every usable document once (duplicates listed on the kept record), "
                   "as zstd JSONL shards (GlossAPI's jsonl_sharded) or zstd parquet shards with a README.md "
                   "dataset card; rebuilt incrementally: a markdown unchanged since the last build (mtime, "
                   "size) is not read again, and only shards whose records changed are written.")
def training_dataset(context: AssetExecutionContext, config: ExportConfig, corpus: CorpusResource) -> MaterializeResult:
    opts = config.options()
    dest = Path(config.dest) if config.dest else Path(corpus.output_dir) / "export" / config.format
    try:
        report = export_dataset(corpus.output_dir, dest, opts)
    except (ValueError, KeyError, FileNotFoundError) as exc:  # KeyError: GlossAPI's for a missing join row
        raise Failure(str(exc), allow_retries=False) from exc
    context.log.info(f"{report.records} records in {len(report.files)} shard(s): {report.written} written, "
                     f"{report.kept} unchanged; {report.texts_read} texts read, {report.texts_cached} unchanged; {report.exact_duplicates + report.near_duplicates} duplicates left out")
    return MaterializeResult(metadata={
        "dest": MetadataValue.path(report.dest), "format": report.format, "file_name": opts.file_name or "",
        "records": report.records, "bytes": report.bytes, "file_bytes": report.file_bytes,
        "shards": len(report.files), "shards_written": report.written, "shards_unchanged": report.kept,
        "records_written": report.records_written, "texts_read": report.texts_read,
        "texts_unchanged_not_read": report.texts_cached,
        "exact_duplicates_dropped": report.exact_duplicates, "near_duplicates_dropped": report.near_duplicates,
        "duplicates_dropped": report.exact_duplicates + report.near_duplicates,
        "documents_filtered": sum(report.left_out.values()), "filtered_by_reason": MetadataValue.json(report.left_out),
        "files": MetadataValue.json([Path(f).name for f in report.files][:500]),
        "preview": MetadataValue.json(report.preview or {}),
        "sections": MetadataValue.json(report.summary.get("sections") or {}),
        "seconds": MetadataValue.float(round(report.seconds, 2)),
    })
