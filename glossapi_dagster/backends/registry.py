"""Phase-1 backends beyond the built-in ones (docling, safe, ocr), by name: tests register theirs.

A name maps to "module:factory"; the task carries the table to its workers (they import the
module themselves), and factory(ctx) builds an extractor with `convert(path, page_range=None)`.
"""
from __future__ import annotations

import importlib

PHASE1_EXTRA: dict[str, str] = {}


def register_phase1_backend(name: str, target: str) -> None:
    """E.g. register_phase1_backend("poison", "glossapi_dagster_tests.poison_backend:build")."""
    if name in ("docling", "safe", "auto", "ocr"):
        raise ValueError(f"{name!r} is a built-in backend")
    PHASE1_EXTRA[name] = target


def load_factory(target: str):
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)
