"""link_list and downloaded_files: GlossAPI's download() as two assets. link_list enters the links of
IN's list into the store and registers their shards; downloaded_files fetches the links of the
selected shards (a backfill over shards is one run, one polite scheduler over every host)."""
from dagster import AssetExecutionContext, BackfillPolicy, Failure, MaterializeResult, MetadataValue, asset

from ...download import LinkListError, download_links, register_list
from ...state import OutputLayout, ProgressStore
from .config import DownloadConfig, LinkListConfig
from .metadata import host_table, link_list_metadata, shard_counts
from ..partitions import shards
from ..resources import CorpusResource
from ..selection import nothing_to_do


def register_shards(context, store: ProgressStore) -> list[str]:
    """Every shard of the store as a partition (new ones, and those of a store made on another instance)."""
    registered = set(context.instance.get_dynamic_partitions(shards.name))
    df = store.read(["shard"])
    missing = sorted(set(df["shard"].dropna()) - registered) if "shard" in df else []
    if missing:
        context.instance.add_dynamic_partitions(shards.name, missing)
    return missing


@asset(group_name="glossapi", description="The links of IN's link list (parquet, CSV or JSONL) as rows of "
       "download_results, one per link, with every column of the list; new links cut into new shards.")
def link_list(context: AssetExecutionContext, config: LinkListConfig, corpus: CorpusResource) -> MaterializeResult:
    try:
        options, shard_size = config.options()
        store = ProgressStore(OutputLayout(corpus.output_dir).store_dir)
        reg = register_list(corpus.input_dir, store, options.input_parquet, options.url_column, shard_size)
    except (LinkListError, ValueError) as exc:  # an unusable list: a retry cannot help
        raise Failure(str(exc), allow_retries=False) from exc
    for note in reg.notes:
        context.log.warning(note)
    register_shards(context, store)
    context.log.info(f"{reg.links} links in {reg.path}: {reg.new_rows} new in {len(reg.new_shards)} new shards, "
                     f"{reg.updated} updated, {reg.duplicates} repeated, {reg.malformed} malformed")
    return MaterializeResult(metadata=link_list_metadata(reg))


@asset(group_name="glossapi", partitions_def=shards, deps=[link_list], output_required=False,
       backfill_policy=BackfillPolicy.single_run(),
       pool="download",  # one download run at a time per instance: two would double each host's rate
       description="The links of the selected shards fetched into OUT/downloads: per-host concurrency and "
                   "rate, robots.txt, Retry-After, retries with backoff; every outcome a row of download_results.")
def downloaded_files(context: AssetExecutionContext, config: DownloadConfig, corpus: CorpusResource):
    try:
        options = config.options()
        report = download_links(corpus.output_dir, options, shards=set(context.partition_keys),
                                log=context.log.info)
    except ValueError as exc:  # a bad option or column: a retry cannot help
        raise Failure(str(exc), allow_retries=False) from exc
    context.log.info(report.line())
    if not report.links and not report.adopted:
        nothing_to_do(context)
        return
    store = ProgressStore(OutputLayout(corpus.output_dir).store_dir)
    for key, counts in shard_counts(store, set(context.partition_keys)).items():
        context.add_asset_metadata(counts, partition_key=key)
    yield MaterializeResult(metadata={
        "fetched": report.downloaded, "found_complete": report.adopted, "duplicates": report.duplicates,
        "failed": report.failed, "to_retry": report.to_retry, "skipped": report.skipped,
        "failed_by_reason": MetadataValue.json(report.by_reason),
        "bytes": report.bytes, "requests": report.requests,
        "links_per_second": MetadataValue.float(round(report.links_per_second, 2)),
        "mb_per_second": MetadataValue.float(round(report.bytes / report.seconds / 1e6, 3) if report.seconds else 0.0),
        "seconds": MetadataValue.float(round(report.seconds, 2)),
        "hosts": host_table(report.hosts),
    })
