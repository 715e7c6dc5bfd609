"""A sensor on IN's link lists: a new list (or a changed one: rows added) has its links entered
into download_results, their new shards registered, and a download run requested for each. Off by
default, like the other sensor; GLOSSAPI_SENSOR_INTERVAL and GLOSSAPI_SHARD_SIZE set it."""
import json
from pathlib import Path

from dagster import AssetMaterialization, DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, \
    SkipReason, sensor

from ...datamodel import settings
from ...download import LinkListError, register_list
from ...download.links import LIST_SUFFIXES
from ...state import OutputLayout, ProgressStore
from .assets import link_list
from .metadata import link_list_metadata
from .jobs import download_job
from ..partitions import shards
from ..resources import CorpusResource


@sensor(job=download_job, minimum_interval_seconds=settings().sensor_interval,
        default_status=DefaultSensorStatus.STOPPED,
        description="A new or changed link list in the input folder: its links entered into download_results, "
                    "their shards registered and downloaded.")
def new_link_lists_sensor(context: SensorEvaluationContext, corpus: CorpusResource):
    folder = Path(corpus.input_dir)
    seen = json.loads(context.cursor or "{}")
    lists = [p for suffix in LIST_SUFFIXES for p in sorted(folder.glob(f"*{suffix}")) if p.is_file()]
    stats = {p.name: [p.stat().st_mtime_ns, p.stat().st_size] for p in lists}
    changed = [p for p in lists if seen.get(p.name) != stats[p.name]]
    if not changed:
        return SkipReason(f"no new or changed link list in {folder}")
    store = ProgressStore(OutputLayout(corpus.output_dir).store_dir)
    new_shards, events, problems = [], [], []
    for path in changed:
        try:
            reg = register_list(folder, store, str(path), shard_size=settings().shard_size)
        except LinkListError as exc:  # said once; looked at again when the file changes
            problems.append(str(exc))
            context.log.warning(str(exc))
        else:
            new_shards += reg.new_shards
            events.append(AssetMaterialization(link_list.key, metadata={**link_list_metadata(reg),
                                                                        "by": "new_link_lists_sensor"}))
        seen[path.name] = stats[path.name]
    context.update_cursor(json.dumps(seen))
    if not new_shards and not events:
        return SkipReason("; ".join(problems))
    return SensorResult(
        run_requests=[RunRequest(run_key=f"download-{shard}", partition_key=shard) for shard in new_shards],
        dynamic_partitions_requests=[shards.build_add_request(new_shards)] if new_shards else [],
        asset_events=events)
