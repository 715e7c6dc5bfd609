"""Corpus's methods take their options models' fields by name, declared once (datamodel/): the
method's signature is made from the models, so a name, default and description are the model's
and never written again here.

Why a signature made at import, not `**fields: Unpack[SomeTypedDict]`: a TypedDict would be a
second declaration of every name and type to keep in step, and carries no defaults. The made
`__signature__` is what help(), IPython/Jupyter completion and `inspect.signature` show: every
option with its model's default, GlossAPI's positional order kept for GlossAPI's scripts.
Type checkers that read only the source see `**options`; the README's options table lists them."""
from __future__ import annotations

import functools
import inspect
from typing import Callable

from pydantic import BaseModel

KW, POS = inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD


def takes_options(*models: type[BaseModel], order: tuple[str, ...] = (), only: dict | None = None,
                  exclude: tuple[str, ...] = ()) -> Callable:
    """Decorate `method(self, given, <its own parameters>)`: called with any option of `models`
    by name, it receives in `given` only the options the caller passed (the model fills the rest
    with its defaults), and its own parameters (GlossAPI's arguments that are no option) as
    usual. `order`: the parameters that may be given by position, in GlossAPI's order (options
    or own); every other one is keyword-only. `only`: model -> the names it gives (default: all)."""

    def decorate(method: Callable) -> Callable:
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
        every = {**options, **{n: p for n, p in mine.items() if p.kind not in (p.VAR_KEYWORD,)}}
        leading = [every[n].replace(kind=POS) for n in order]
        rest = [p.replace(kind=KW) for n, p in every.items() if n not in order]
        var = [p for p in own if p.kind is p.VAR_KEYWORD]
        self_param = inspect.Parameter("self", POS)
        signature = inspect.Signature([self_param, *leading, *rest, *var],
                                      return_annotation=inspect.signature(method).return_annotation)

        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            bound = signature.bind(self, *args, **kwargs)
            given = {k: v for k, v in bound.arguments.items() if k in options and k not in mine}
            extra = bound.arguments.get(var[0].name, {}) if var else {}
            own_values = {k: v for k, v in bound.arguments.items() if k in mine and (not var or k != var[0].name)}
            return method(self, given, **own_values, **extra)

        wrapper.__signature__ = signature
        wrapper.__doc__ = inspect.cleandoc(method.__doc__ or "") + _options_help(options, described)
        return wrapper

    return decorate


def _options_help(options: dict[str, inspect.Parameter], described: dict[str, str]) -> str:
    """The options' descriptions under the method's docstring (help(Corpus.extract) shows them)."""
    lines = [f"    {name}={param.default!r}: {described[name]}" for name, param in options.items()]
    return "\n\nOptions (their models' fields, datamodel/):\n" + "\n".join(lines)
