"""The CLI's flags, generated from the options models: one flag per field, with its default, its
choices and its description; the model, not argparse, checks the value (one message for every door)."""
from __future__ import annotations

import argparse
import types
import typing

from pydantic import BaseModel

from .datamodel import choices_of


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def device_ids(text: str) -> list[int]:
    try:
        return [int(d) for d in text.split(",") if d.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--devices takes comma-separated GPU ids like 0,1 (got {text!r})")


def names(text: str) -> list[str]:
    """--filenames a.pdf,b.pdf, --supported-formats pdf,docx: a list of words."""
    return [part.strip() for part in text.split(",") if part.strip()]


def mapping(text: str) -> dict[str, str]:
    """--annotation-mapping 'Κεφάλαιο=chapter,Άρθρο=text'"""
    pairs = [part.split("=", 1) for part in text.split(",") if part.strip()]
    if any(len(p) != 2 for p in pairs):
        raise argparse.ArgumentTypeError(f"takes TYPE=VALUE pairs separated by commas (got {text!r})")
    return {k.strip(): v.strip() for k, v in pairs}


def _value_type(annotation):
    """int, float, str, list[int] or list[str], whatever Optional wraps it; an Optional one also takes 'none'."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    optional = typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1
    if optional:
        annotation = args[0]
    if typing.get_origin(annotation) is list:
        parse = names if typing.get_args(annotation) == (str,) else device_ids
    elif typing.get_origin(annotation) is dict:
        parse = mapping
    elif typing.get_origin(annotation) is typing.Literal:
        parse = str
    else:
        parse = annotation
    if not optional or parse is str:
        return parse

    def value(text: str):  # e.g. --max-pages-per-unit none: never split
        return None if text.strip().lower() == "none" else parse(text)

    value.__name__ = getattr(parse, "__name__", "value")  # argparse names the type in its errors
    return value


def add_options(parser: argparse.ArgumentParser, *models: type[BaseModel]) -> None:
    """A flag for every field of the models; a name two models share (reprocess) is one flag."""
    seen: dict[str, object] = {}
    for model in models:
        for name, field in model.model_fields.items():
            if name in seen:
                assert seen[name] == field.default, f"{name}: the models disagree on its default"
                continue
            seen[name] = field.default
            choices = choices_of(model, name)
            shown = f"; one of {', '.join(map(str, choices))}" if choices else ""
            help_text = f"{field.description} (default: {field.default}{shown})".replace("%", "%%")
            if field.annotation is bool:  # on by default: --no-<name> turns it off
                parser.add_argument(flag(name), dest=name, default=field.default, help=help_text,
                                    action=argparse.BooleanOptionalAction if field.default else "store_true")
                continue
            metavar = "{" + ",".join(map(str, choices)) + "}" if choices else None
            parser.add_argument(flag(name), dest=name, type=_value_type(field.annotation), default=field.default,
                                metavar=metavar, help=help_text)


def values_of(args: argparse.Namespace, *models: type[BaseModel]) -> dict:
    """The parsed values of the models' fields, by name."""
    return {name: getattr(args, name) for model in models for name in model.model_fields}
