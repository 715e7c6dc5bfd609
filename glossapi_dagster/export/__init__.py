"""The training export: from extracted documents to a deduplicated dataset (GlossAPI's clean,
jsonl and jsonl_sharded; parquet shards with a dataset card). Knows nothing of Dagster."""
from .clean import CleanReport, clean_store
from .dataset import ExportOptions, ExportReport, export_dataset, verify_export

__all__ = ["CleanReport", "clean_store", "ExportOptions", "ExportReport", "export_dataset", "verify_export"]
