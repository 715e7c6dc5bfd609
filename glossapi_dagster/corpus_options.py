"""Corpus's methods take their options models' fields by name, declared once (datamodel/): the
method's signature is made here from the models, so a name, default and description are the
model's and never written again. Corpus's `takes_options` (corpus.py) puts it on the method and
binds each call with it; this module runs when the class is made, and splits a bound call.

Why a signature made at import, not `**fields: Unpack[SomeTypedDict]`: a TypedDict would be a
second declaration of every name and type to keep in step, and carries no defaults. The made
`__signature__` is what help(), IPython/Jupyter completion and `inspect.signature` show: every
option with its model's default, GlossAPI's positional order kept for GlossAPI's scripts.
Type checkers that read only the source see `**options`; the README's options table lists them."""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable

from pydantic import BaseModel

KW, POS = inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD


@dataclass(frozen=True)
class OptionsSignature:
    """A method's signature made from its options models, and how a call bound to it splits."""

    signature: inspect.Signature
    options: frozenset[str]        # the models' fields: given to the method in one dict
    own: frozenset[str]            # the method's own parameters (GlossAPI's arguments that are no option)
    var: str | None                # the method's **kwargs, if it has one
    doc: str                       # the method's docstring with the options' descriptions under it

    def split(self, bound: inspect.BoundArguments) -> tuple[dict, dict]:
        """(the options the caller passed, the method's own arguments with its **kwargs spread)."""
        given = {k: v for k, v in bound.arguments.items() if k in self.options and k not in self.own}
        own = {k: v for k, v in bound.arguments.items() if k in self.own and k != self.var}
        if self.var:
            own.update(bound.arguments.get(self.var, {}))
        return given, own


def options_signature(method: Callable, models: tuple[type[BaseModel], ...], order: tuple[str, ...] = (),
                      only: dict | None = None, exclude: tuple[str, ...] = ()) -> OptionsSignature:
    """`method(self, given, <its own parameters>)` with every field of `models` as a parameter.
    `order`: the parameters that may be given by position, in GlossAPI's order (options or own);
    every other one is keyword-only. `only`: model -> the names it gives (default: all)."""
    own = list(inspect.signature(method).parameters.values())[2:]  # after self, given
    options: dict[str, inspect.Parameter] = {}
    described: dict[str, str] = {}
    for model in models:
        for name, field in model.model_fields.items():
            if name in exclude or (only and model in only and name not in only[model]):
                continue
            default = None if field.is_required() else field.default
            param = inspect.Parameter(name, KW, default=default, annotation=field.annotation)
            if name in options and options[name].default != default:  # one name, one default
                raise TypeError(f"{method.__qualname__}: {name} has two defaults")
            options.setdefault(name, param)
            described.setdefault(name, field.description or "")
    mine = {p.name: p for p in own}
    every = {**options, **{n: p for n, p in mine.items() if p.kind is not p.VAR_KEYWORD}}
    leading = [every[n].replace(kind=POS) for n in order]
    rest = [p.replace(kind=KW) for n, p in every.items() if n not in order]
    var = [p for p in own if p.kind is p.VAR_KEYWORD]
    signature = inspect.Signature([inspect.Parameter("self", POS), *leading, *rest, *var],
                                  return_annotation=inspect.signature(method).return_annotation)
    return OptionsSignature(signature, frozenset(options), frozenset(mine), var[0].name if var else None,
                            inspect.cleandoc(method.__doc__ or "") + _options_help(options, described))


def _options_help(options: dict[str, inspect.Parameter], described: dict[str, str]) -> str:
    """The options' descriptions under the method's docstring (help(Corpus.extract) shows them)."""
    lines = [f"    {name}={param.default!r}: {described[name]}" for name, param in options.items()]
    return "\n\nOptions (their models' fields, datamodel/):\n" + "\n".join(lines)
