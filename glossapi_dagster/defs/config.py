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

from ..datamodel import build


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
