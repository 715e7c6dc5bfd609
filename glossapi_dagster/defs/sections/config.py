"""Run configuration of the sections and their annotation (SectionOptions, AnnotateOptions)."""
from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from ...datamodel import AnnotateOptions, SectionOptions
from ..config import _Options, fields_of


class SectionConfig(fields_of(SectionOptions), _Options):
    """sections: the usable documents' markdown cut into sections."""

    OPTIONS: ClassVar[type[BaseModel]] = SectionOptions


class AnnotateConfig(fields_of(AnnotateOptions), _Options):
    """annotated_sections: every section labelled, then fully annotated."""

    OPTIONS: ClassVar[type[BaseModel]] = AnnotateOptions
