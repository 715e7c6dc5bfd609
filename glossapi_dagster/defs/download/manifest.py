"""download_results: one manifest row per input file; registers new shards as partitions."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from ...state import OutputLayout, ProgressStore
from ...state.manifest import update_manifest
from .config import DownloadResultsConfig
from ..partitions import store_shards
from ..resources import CorpusResource


@asset(group_name="glossapi", description="The manifest download_results.parquet: one row per input file.")
def download_results(context: AssetExecutionContext, config: DownloadResultsConfig,
                     corpus: CorpusResource) -> MaterializeResult:
    store = ProgressStore(OutputLayout(corpus.output_dir).store_dir)
    home = getattr(context.instance, "root_directory", None)
    update = update_manifest(store, corpus.input_dir, config.input_format, config.shard_size,
                             skip_dirs=(home,) if home else ())
    for note in update.notes:
        context.log.warning(note)
    all_shards = store_shards(context.instance, corpus.output_dir)  # also those of a store made elsewhere
    context.log.info(f"{len(update.new_rows)} new files in {len(update.new_shards)} new shards; "
                     f"{len(update.vanished)} vanished; {len(update.changed)} replaced; {len(update.moved)} moved; "
                     f"{len(update.recovered)} pending again; {len(update.problematic)} unreadable; "
                     f"{update.total} in the manifest")
    return MaterializeResult(metadata={
        "files": update.total,
        "new_files": len(update.new_rows),
        "vanished": MetadataValue.json(update.vanished[:200]),
        "replaced": MetadataValue.json(update.changed[:200]),
        "moved": MetadataValue.json(update.moved[:200]),
        "pending_again": MetadataValue.json(update.recovered[:200]),
        "problematic": len(update.problematic),               # files this scan could not read
        "folders_not_scanned": update.folders_skipped,
        "notes": MetadataValue.json(update.notes),
        "new_shards": MetadataValue.json(update.new_shards),
        "shards": len(all_shards),
        "store": MetadataValue.path(str(store.path)),
    })
