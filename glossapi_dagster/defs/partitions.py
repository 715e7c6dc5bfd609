"""Shards: the corpus cut into dynamic partitions, registered by download_results."""
from dagster import DynamicPartitionsDefinition

shards = DynamicPartitionsDefinition(name="shards")
