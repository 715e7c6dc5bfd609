"""Run configuration of the assets (what a user sets in the launchpad or run config).

Each Config class is its phase's options model (datamodel/options.py), field for field: built
from the model's fields, so a name, default, choice, bound or description is declared once. The
launchpad checks the choices before a run starts; `options()` checks the rest (bounds, engine
names) at the step's start, before any worker.
"""
from __future__ import annotations

from typing import ClassVar

from dagster import Config
from pydantic import BaseModel, create_model

from ..datamodel import (AnnotateOptions, DownloadOptions, ExtractOptions, ManifestOptions, MathOptions, OcrOptions,
                         SectionOptions, build)


def fields_of(model: type[BaseModel], base: type[BaseModel] = Config, only: tuple = (),
              exclude: tuple = ()) -> type[BaseModel]:
    """A subclass of `base` (a Dagster Config or resource) with the model's fields, one for one
    (`only` those named, or all but `exclude`)."""
    fields = {name: (field.annotation, field) for name, field in model.model_fields.items()
              if (not only or name in only) and name not in exclude}
    return create_model(f"_{model.__name__}Fields", __base__=base, __module__=__name__, **fields)


class _Options:
    """What every Config here adds: its values as the options model, validated."""

    OPTIONS: ClassVar[type[BaseModel]]

    def options(self):
        return build(self.OPTIONS, **self.model_dump())


class DownloadResultsConfig(fields_of(ManifestOptions), _Options):
    OPTIONS: ClassVar[type[BaseModel]] = ManifestOptions


class ExtractConfig(fields_of(ExtractOptions), _Options):
    OPTIONS: ClassVar[type[BaseModel]] = ExtractOptions


class OcrConfig(fields_of(OcrOptions), _Options):
    """ocr_docs: the pages that need it of the documents triage flagged needs_ocr."""

    OPTIONS: ClassVar[type[BaseModel]] = OcrOptions


class MathConfig(fields_of(MathOptions), _Options):
    """math_enriched: the formulas of every extracted PDF decoded to LaTeX (Phase 2)."""

    OPTIONS: ClassVar[type[BaseModel]] = MathOptions


class SectionConfig(fields_of(SectionOptions), _Options):
    """sections: the usable documents' markdown cut into sections."""

    OPTIONS: ClassVar[type[BaseModel]] = SectionOptions


class AnnotateConfig(fields_of(AnnotateOptions), _Options):
    """annotated_sections: every section labelled, then fully annotated."""

    OPTIONS: ClassVar[type[BaseModel]] = AnnotateOptions


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


CONFIG_OF_ASSET = {"download_results": DownloadResultsConfig, "extracted_docs": ExtractConfig,
                   "ocr_docs": OcrConfig, "math_enriched": MathConfig, "sections": SectionConfig,
                   "annotated_sections": AnnotateConfig, "downloaded_files": DownloadConfig}


def checked_run_config(asset: str, config: dict) -> dict:
    """An asset's run config checked against its options model before the run (one clear error,
    no run started); the values given, nothing added, so the asset's defaults stay its own."""
    build(CONFIG_OF_ASSET[asset].OPTIONS, **config)
    return config
