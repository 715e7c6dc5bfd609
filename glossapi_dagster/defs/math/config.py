"""Run configuration of math: MathOptions, field for field (defs/config.py)."""
from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from ...datamodel import MathOptions
from ..config import _Options, fields_of


class MathConfig(fields_of(MathOptions), _Options):
    """math_enriched: the formulas of every extracted PDF decoded to LaTeX (Phase 2)."""

    OPTIONS: ClassVar[type[BaseModel]] = MathOptions
