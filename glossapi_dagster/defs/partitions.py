"""Shards: the corpus cut into dynamic partitions, named in the progress store."""
from __future__ import annotations

from dagster import DagsterInstance, DynamicPartitionsDefinition

shards = DynamicPartitionsDefinition(name="shards")


def store_shards(instance: DagsterInstance, output_dir) -> list[str]:
    """The shards of OUT's progress store, each registered on this instance where it is not yet,
    in the instance's order. Every phase selects its work through here: the store, not the
    instance, knows the corpus, and an ephemeral instance (each CLI call without DAGSTER_HOME)
    or a new DAGSTER_HOME starts with no partition at all, so a phase that asked the instance
    found nothing to do and said it was done."""
    from ..state import OutputLayout, ProgressStore

    df = ProgressStore(OutputLayout(output_dir).store_dir).read(["shard"])
    in_store = set(df["shard"].dropna()) if "shard" in df else set()
    registered = instance.get_dynamic_partitions(shards.name)
    new = sorted(in_store - set(registered))
    if new:
        instance.add_dynamic_partitions(shards.name, new)
    return [key for key in [*registered, *new] if key in in_store]
