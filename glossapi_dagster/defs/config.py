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

from ..datamodel import AnnotateOptions, ExtractOptions, ManifestOptions, MathOptions, OcrOptions, SectionOptions, build



def fields_of(model: type[BaseModel], base: type[BaseModel] = Config) -> type[BaseModel]:
    """A subclass of `base` (a Dagster Config or resource) with the model's fields, one for one."""
    fields = {name: (field.annotation, field) for name, field in model.model_fields.items()}
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


CONFIG_OF_ASSET = {"download_results": DownloadResultsConfig, "extracted_docs": ExtractConfig,
                   "ocr_docs": OcrConfig, "math_enriched": MathConfig, "sections": SectionConfig,
                   "annotated_sections": AnnotateConfig}


def checked_run_config(asset: str, config: dict) -> dict:
    """An asset's run config checked against its options model before the run (one clear error,
    no run started); the values given, nothing added, so the asset's defaults stay its own."""
    build(CONFIG_OF_ASSET[asset].OPTIONS, **config)
    return config
