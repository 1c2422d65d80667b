"""Strict types for configuration files: a TOML value means what it says.

pydantic, left to itself, reads ``"false"`` and ``"no"`` as the boolean false, ``"5"`` as the
integer 5 and ``1`` as true; a hand-written, converted or templated file easily quotes a value,
and the run then does something its file does not say. :func:`check_types` walks the values
read from a TOML file against the types of the sections they fill, before any validation,
and stops at the first value whose TOML type is not the field's: one
:class:`~evofolio.errors.ConfigError` naming the dotted key, the value as written and the
type expected. The rules:

* a boolean is ``true`` or ``false``, never text or a number;
* an integer is an integer (not ``"5"``, ``5.0`` or ``true``); a number (float) is an integer
  or a float;
* text is a quoted string; a date is a TOML date (``2018-01-01``, unquoted);
* an array is an array of values of the item type; a table a table;
* ``[search.space.fixed]`` holds gene values: ``family`` a string; ``feature_*`` and
  ``strategy_*`` switches booleans; every other gene a value of its kind (an integer for an
  ``int`` gene, a number for a ``float`` gene, one of its choices' type for a ``choice``
  gene); any other name is an unknown gene.

The ``[model]`` settings are each family's own parameters; :func:`mismatch` checks them against
the family's parameter types (:func:`evofolio.allocators.registry.check_model`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel

from evofolio.config.genes import FEATURE_PREFIX, GENES, STRATEGY_PREFIX
from evofolio.errors import ConfigError

__all__ = ["check_types", "describe", "gene_type", "mismatch", "shown"]

Mismatch = tuple[str, Any, str]
"""(dotted key, value, the type expected in words)."""

_FIXED = "search.space.fixed"


class _UnknownGeneError(Exception):
    """A name in ``[search.space.fixed]`` that is no gene."""


def check_types(values: Mapping[str, Any], model: type[BaseModel], source: str) -> None:
    """``ConfigError`` for the first value of ``values`` (parsed TOML filling ``model``)
    whose type is not its field's; unknown keys are left to the model (which forbids them)."""
    try:
        found = _model_mismatch(values, model, "")
    except _UnknownGeneError as error:
        raise ConfigError(f"{source}: {error}") from None
    if found is not None:
        raise ConfigError(describe(source, *found))


def describe(source: str, key: str, value: Any, expected: str) -> str:
    """The one-line message for a value of the wrong type."""
    got = _kind(value)
    hint = ""
    if isinstance(value, str) and expected.startswith(
        ("a boolean", "an integer", "a number", "a date")
    ):
        hint = " (quotes make it text)"
    return f"{source}: {key} = {shown(value)} is {got}{hint}; expected {expected}"


def shown(value: Any) -> str:
    """``value`` as TOML writes it (``"false"`` quoted, ``false`` not)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)


def gene_type(name: str) -> Any:
    """The type of a value pinning gene ``name`` in ``[search.space.fixed]``, or ``None`` for
    a name that is no gene."""
    if name == "family":
        return str
    if name.startswith((FEATURE_PREFIX, STRATEGY_PREFIX)):
        return bool
    gene = GENES.get(name)
    if gene is None:
        return None
    if gene.kind == "int":
        return int
    if gene.kind == "float":
        return float
    if gene.value_type is not None:
        return gene.value_type
    from evofolio.config.sections import TrainingConfig  # the training.* field's own type

    return TrainingConfig.model_fields[gene.field].annotation


def mismatch(value: Any, annotation: Any, key: str) -> Mismatch | None:
    """The first part of ``value`` not of type ``annotation``: ``(key, value, expected)``."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return mismatch(value, typing.get_args(annotation)[0], key)
    if origin is Union or origin is types.UnionType:
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if value is None and len(members) < len(typing.get_args(annotation)):
            return None  # no TOML value is None; a None set in code is allowed where typed
        if len(members) == 1:
            return mismatch(value, members[0], key)
        if any(mismatch(value, member, key) is None for member in members):
            return None
        return key, value, " or ".join(dict.fromkeys(_words(m) for m in members))
    if origin is Literal:
        kinds = {type(choice) for choice in typing.get_args(annotation)}
        if any(_plain(value, kind) for kind in kinds):
            return None
        return key, value, _words(annotation)
    if annotation in (Any, object) or annotation is None:
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if not isinstance(value, Mapping):
            return key, value, "a table"
        return _model_mismatch(value, annotation, key)
    if origin in (list, Sequence, set, frozenset) or annotation in (list, tuple):
        if not isinstance(value, list | tuple):
            return key, value, _words(annotation)
        (item,) = typing.get_args(annotation) or (Any,)
        return _first(mismatch(v, item, f"{key}[{i}]") for i, v in enumerate(value))
    if origin is tuple:
        if not isinstance(value, list | tuple):
            return key, value, _words(annotation)
        items = typing.get_args(annotation)
        if len(items) == 2 and items[1] is Ellipsis:
            items = (items[0],) * len(value)
        if len(items) != len(value):
            return key, value, _words(annotation)
        return _first(
            mismatch(v, t, f"{key}[{i}]") for i, (v, t) in enumerate(zip(value, items, strict=True))
        )
    if origin in (dict, Mapping):
        if not isinstance(value, Mapping):
            return key, value, "a table"
        _, item = typing.get_args(annotation) or (str, Any)
        return _first(mismatch(v, item, f"{key}.{k}") for k, v in value.items())
    if isinstance(annotation, type):
        return None if _plain(value, annotation) else (key, value, _words(annotation))
    return None


def _model_mismatch(
    values: Mapping[str, Any], model: type[BaseModel], prefix: str
) -> Mismatch | None:
    fields = {}
    for name, info in model.model_fields.items():
        fields[name] = info
        if info.alias:
            fields[info.alias] = info
    for key, value in values.items():
        dotted = f"{prefix}.{key}" if prefix else str(key)
        if dotted == _FIXED:
            found = _fixed_mismatch(value, dotted)
        elif key in fields:
            found = mismatch(value, fields[key].annotation, dotted)
        else:
            continue  # unknown: the model names it
        if found is not None:
            return found
    return None


def _fixed_mismatch(values: Any, key: str) -> Mismatch | None:
    if not isinstance(values, Mapping):
        return key, values, "a table of gene = value"
    for name, value in values.items():
        kind = gene_type(str(name))
        if kind is None:
            genes = ", ".join(
                ["family", *GENES, f"{FEATURE_PREFIX}<name>", f"{STRATEGY_PREFIX}<name>"]
            )
            raise _UnknownGeneError(f"{key}: unknown gene '{name}'; genes are {genes}")
        found = mismatch(value, kind, f"{key}.{name}")
        if found is not None:
            return found
    return None


def _first(found: typing.Iterable[Mismatch | None]) -> Mismatch | None:
    return next((f for f in found if f is not None), None)


def _plain(value: Any, kind: type) -> bool:
    """Whether ``value`` is of TOML type ``kind`` (an integer is a number; a boolean is no
    number; a date-time is no date)."""
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is dt.date:
        return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    return isinstance(value, kind)


def _words(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is Literal:
        choices = typing.get_args(annotation)
        listing = ", ".join(shown(c) for c in choices)
        kind = "a string" if all(isinstance(c, str) for c in choices) else "a value"
        return f"{kind}, one of {listing}"
    if origin is tuple:
        items = typing.get_args(annotation)
        if items and items[-1] is not Ellipsis:
            inner = " and ".join(dict.fromkeys(_words(i) for i in items))
            return f"an array of {len(items)} values ({inner})"
    if origin in (list, Sequence, set, frozenset, tuple):
        (item, *_) = typing.get_args(annotation) or (Any,)
        return "an array" if item is Any else f"an array of {_plural(_words(item))}"
    return {
        bool: "a boolean (true or false, without quotes)",
        int: "an integer (without quotes)",
        float: "a number (without quotes)",
        str: "a string (in quotes)",
        dt.date: "a date such as 2018-01-01 (without quotes)",
    }.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _plural(words: str) -> str:
    for article in ("an ", "a "):
        if words.startswith(article):
            head, _, rest = words[len(article) :].partition(" ")
            return f"{head}s" + (f" {rest}" if rest else "")
    return words


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dt.datetime):
        return "a date-time"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__
