"""Run configuration of ocr: OcrOptions, field for field (defs/config.py)."""
from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from ...datamodel import OcrOptions
from ..config import _Options, fields_of


class OcrConfig(fields_of(OcrOptions), _Options):
    """ocr_docs: the pages that need it of the documents triage flagged needs_ocr."""

    OPTIONS: ClassVar[type[BaseModel]] = OcrOptions
