"""Run configuration of extract: ExtractOptions, field for field (defs/config.py)."""
from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from ...datamodel import ExtractOptions
from ..config import _Options, fields_of


class ExtractConfig(fields_of(ExtractOptions), _Options):
    OPTIONS: ClassVar[type[BaseModel]] = ExtractOptions
