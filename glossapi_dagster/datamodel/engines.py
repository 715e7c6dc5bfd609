"""Engines beyond the built-in ones, registered by whoever needs them (the tests' crash and
poison-page backends, a user's tracing hook), never listed among the user-facing choices.

Phase-1 backends: `register_phase1_backend(name, "module:factory")`; the Task carries the table
to its workers, which import the module themselves, and `factory(ctx)` builds an extractor with
`convert(path, page_range=None)`.

Math engines:
A registered engine decodes with the text layer and is called at two points of each document:
`before(stem)` when it starts and `after_latex_map(stem)` once its latex_map is written. The
factory, `factory(log) -> engine`, travels to the workers inside the pickled Task: pickled by
reference, so unpickling it imports its module there. No environment variable or entry point to
keep in step: what the controller registered is what every worker runs.
"""
from __future__ import annotations

import importlib
import pickle
from typing import Callable

BUILTIN_MATH_ENGINES = ("auto", "textlayer", "codeformula")
_REGISTERED: dict[str, Callable] = {}


def register_math_engine(name: str, factory: Callable) -> None:
    """Make `math_engine=name` run `factory(log)`'s hooks; registering a name again replaces it."""
    if name in BUILTIN_MATH_ENGINES:
        raise ValueError(f"{name!r} is a built-in math engine and cannot be replaced")
    try:
        pickle.dumps(factory)
    except Exception as exc:  # a lambda or a local class: the workers could never receive it
        raise ValueError(f"the factory of math engine {name!r} must be importable by the workers "
                         f"(a module-level callable, or a functools.partial of one): {exc}") from exc
    _REGISTERED[name] = factory


def registered_math_engines() -> tuple[str, ...]:
    return tuple(sorted(_REGISTERED))


def math_engine_plugin(name: str) -> Callable | None:
    """The factory registered under name; None for a built-in engine."""
    if name in BUILTIN_MATH_ENGINES:
        return None
    if name not in _REGISTERED:
        raise ValueError(f"unknown math_engine {name!r}; math_engine must be one of "
                         f"{', '.join(map(repr, BUILTIN_MATH_ENGINES + registered_math_engines()))}")
    return _REGISTERED[name]


BUILTIN_PHASE1_BACKENDS = ("auto", "safe", "docling")
_PHASE1: dict[str, str] = {}


def register_phase1_backend(name: str, target: str) -> None:
    """E.g. register_phase1_backend("poison", "glossapi_dagster_tests.poison_backend:build")."""
    if name in BUILTIN_PHASE1_BACKENDS + ("ocr",):
        raise ValueError(f"{name!r} is a built-in backend")
    _PHASE1[name] = target


def registered_phase1_backends() -> dict[str, str]:
    """name -> "module:factory" of every registered Phase-1 backend (a copy: it travels in the Task)."""
    return dict(_PHASE1)


def load_factory(target: str) -> Callable:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)
