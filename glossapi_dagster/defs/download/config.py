"""Run configuration of the manifest, the link list and the downloads (DownloadOptions, ManifestOptions)."""
from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from ...datamodel import DownloadOptions, ManifestOptions, build
from ..config import _Options, fields_of


class DownloadResultsConfig(fields_of(ManifestOptions), _Options):
    OPTIONS: ClassVar[type[BaseModel]] = ManifestOptions


# link_list reads the list (these fields, and the manifest's shard_size); downloaded_files fetches
# the links registered, with every other field of DownloadOptions
LIST_FIELDS = ("input_parquet", "url_column")


class LinkListConfig(fields_of(DownloadOptions, only=LIST_FIELDS),
                     fields_of(ManifestOptions, only=("shard_size",))):
    """link_list: the links of a list in IN entered into the store, in shards."""

    def options(self) -> tuple[DownloadOptions, int]:
        values = self.model_dump()
        shard_size = build(ManifestOptions, shard_size=values.pop("shard_size")).shard_size
        return build(DownloadOptions, **values), shard_size


class DownloadConfig(fields_of(DownloadOptions, exclude=LIST_FIELDS), _Options):
    """downloaded_files: the registered links of the selected shards fetched."""

    OPTIONS: ClassVar[type[BaseModel]] = DownloadOptions
