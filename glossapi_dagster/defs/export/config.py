"""Run configuration of the export assets: clean's gates and the training dataset's options, each
its options model field for field (datamodel/export.py, defs/config.py)."""
from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field

from ...datamodel import build
from ...datamodel.export import CleanOptions, ExportOptions
from ..config import _Options, fields_of


class CleanConfig(fields_of(CleanOptions), _Options):
    """cleaned_docs: GlossAPI's Corpus.clean gates over the triage columns."""

    OPTIONS: ClassVar[type[BaseModel]] = CleanOptions


class ExportConfig(fields_of(ExportOptions, exclude=("provenance",)), _Options):
    """training_dataset: the usable, deduplicated documents as JSONL or parquet shards."""

    OPTIONS: ClassVar[type[BaseModel]] = ExportOptions
    dest: str | None = Field(None, description="Folder of the dataset (default: OUT/export/<format>)")

    def options(self) -> ExportOptions:
        return build(ExportOptions, **self.model_dump(exclude={"dest"}))
