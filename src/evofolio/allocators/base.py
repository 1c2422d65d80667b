"""The base class of every evofolio allocator: a scikit-learn-style estimator.

The estimator contract (scikit-learn's, as skfolio follows it; implemented here without
importing scikit-learn, which the search's worker processes never load, while
``sklearn.base.clone``, ``GridSearchCV``-style tools and skfolio work on these objects as on
their own):

* ``__init__`` stores its arguments, unchanged, under their own names, and nothing else:
  settings only, never data. ``get_params``/``set_params`` read and write them, so
  ``sklearn.base.clone`` gives an unfitted copy with the same settings;
* ``fit(X)`` learns from ``X`` (prices, market series and derived data:
  :class:`~evofolio.data.AllocationData`, or a plain prices ``DataFrame``) and returns
  ``self``; learned state lives in attributes ending in ``_``;
* ``allocate(X, dates)`` returns a ``DataFrame`` (``dates`` × assets) of long-only weights
  summing to 1, the row of date *t* depending on ``X`` up to *t* only;
* ``save(path)`` / ``load(path)`` write and read *parameters + fitted state* with
  ``torch.load(weights_only=True)`` (nothing is unpickled).

Parameters that are pydantic models (a network's hyperparameters, the training settings) are
nested: ``get_params(deep=True)`` lists their fields as ``network__hidden``,
``training__lr``, and ``set_params(network__hidden=32)`` validates the new value against the
model's bounds (:class:`~evofolio.errors.ParameterError` naming the key otherwise). This is
how the genetic search decodes a genome: ``clone(prototype).set_params(**genes)``, as
Optuna-integration's ``OptunaSearchCV`` applies a trial's parameters.
"""

from __future__ import annotations

import copy
import inspect
import os
from pathlib import Path
from typing import Any, ClassVar, Self

import pandas as pd
import torch
from pydantic import BaseModel, ValidationError

from evofolio.errors import DataError, ParameterError
from evofolio.models.params import first_error
from evofolio.outdir import atomic_file
from evofolio.training.checkpoint import decode_value, encode_value, read_weights_only

__all__ = ["ALLOCATOR_FORMAT", "BaseAllocator", "clone", "validated"]

ALLOCATOR_FORMAT = "evofolio-allocator-1"
"""The ``format`` of a file written by :meth:`BaseAllocator.save` (neural allocators write
the network checkpoint of :mod:`evofolio.training.checkpoint` instead)."""


def clone(estimator: Any) -> Any:
    """A new, unfitted estimator with the same parameters, as ``sklearn.base.clone``:
    ``type(estimator)(**params)``, each parameter cloned if it is an estimator, else deep-copied
    (frozen pydantic models are kept: they cannot change)."""
    params = {}
    for name, value in estimator.get_params(deep=False).items():
        if hasattr(value, "get_params") and not isinstance(value, type):
            params[name] = clone(value)
        elif isinstance(value, BaseModel) and value.model_config.get("frozen"):
            params[name] = value
        else:
            params[name] = copy.deepcopy(value)
    return type(estimator)(**params)


class BaseAllocator:
    """An allocator: ``fit(X)``, a causal ``allocate(X, dates)``, parameters and state.

    Subclasses implement :meth:`fit` and :meth:`allocate`, and for :meth:`save` /
    :meth:`load` the fitted state as plain values (:meth:`_state` / :meth:`_set_state`).
    """

    accepts_data: ClassVar[bool] = True
    """The backtest engine passes ``AllocationData`` (not only prices) to ``fit``/``allocate``."""

    def fit(self, X: Any, y: Any = None) -> Self:
        """Learn from ``X`` (see :func:`evofolio.data.as_data`) and return ``self``."""
        raise NotImplementedError

    def check_params(self) -> Self:
        """``self`` if the plain parameters (those not validated by a pydantic model) are
        valid, else ``ParameterError`` naming the parameter; called by ``fit`` and by
        whoever builds an estimator from a configuration. Subclasses extend it."""
        return self

    def allocate(self, X: Any, dates: pd.DatetimeIndex) -> pd.DataFrame:
        """Weights (``dates`` × assets) decided at the close of each date from ``X`` up to it."""
        raise NotImplementedError

    def as_optimization(self, **portfolio_params: Any) -> Any:
        """This allocator as a skfolio optimiser (:class:`~evofolio.allocators.bridge.
        AllocatorOptimization`): ``fit`` on returns, ``predict`` a ``skfolio.Portfolio``."""
        from evofolio.allocators.bridge import AllocatorOptimization

        return AllocatorOptimization(self, portfolio_params=portfolio_params or None)

    # -- parameters ------------------------------------------------------------------------

    @classmethod
    def _get_param_names(cls) -> list[str]:
        """The constructor's parameter names (no ``*args``/``**kwargs``: every setting is
        named), sorted as scikit-learn sorts them."""
        signature = inspect.signature(cls.__init__)
        names = []
        for parameter in signature.parameters.values():
            if parameter.name == "self":
                continue
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                raise TypeError(f"{cls.__name__}: an estimator names every parameter")
            names.append(parameter.name)
        return sorted(names)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's parameters; with ``deep``, each nested estimator's parameters as
        ``<parameter>__<name>`` and each pydantic-model parameter's fields as
        ``<parameter>__<field>`` (e.g. ``network__hidden``)."""
        params: dict[str, Any] = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                params.update((f"{name}__{k}", v) for k, v in value.get_params(deep=True).items())
            elif deep and isinstance(value, BaseModel):
                for key in type(value).model_fields:
                    params[f"{name}__{key}"] = getattr(value, key)
            params[name] = value
        return params

    def __repr__(self) -> str:
        """The class and the parameters that differ from the constructor's defaults."""
        signature = inspect.signature(type(self).__init__)
        changed = []
        for name in self._get_param_names():
            value, default = getattr(self, name), signature.parameters[name].default
            try:
                same = bool(value == default)
            except Exception:
                same = value is default
            if not same:
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    def set_params(self, **params: Any) -> Self:
        """Set parameters; ``<parameter>__<field>`` replaces one field of a pydantic-model
        parameter with a validated copy, ``<estimator>__<name>`` is passed to a nested
        estimator. ``ParameterError`` (a ``ValueError``) naming the key for an unknown name
        or a value out of bounds (then :meth:`check_params`)."""
        nested: dict[str, dict[str, Any]] = {}
        delegated: dict[str, dict[str, Any]] = {}
        plain: dict[str, Any] = {}
        own = self.get_params(deep=False)
        for key, value in params.items():
            name, sep, field = key.partition("__")
            if sep and isinstance(own.get(name), BaseModel):
                nested.setdefault(name, {})[field] = value
            elif sep and hasattr(own.get(name), "set_params"):  # a nested estimator
                delegated.setdefault(name, {})[field] = value
            elif key in own:
                plain[key] = value
            else:
                raise ParameterError(
                    f"{type(self).__name__}: unknown parameter '{key}'; parameters are "
                    f"{', '.join(sorted(self.get_params(deep=True)))}",
                    key=key,
                    reason="unknown parameter",
                )
        for key, value in plain.items():
            setattr(self, key, value)
        for name, fields in delegated.items():
            getattr(self, name).set_params(**fields)
        for name, fields in nested.items():
            current = getattr(self, name)
            unknown = sorted(set(fields) - set(type(current).model_fields))
            if unknown:
                raise ParameterError(
                    f"{type(self).__name__}: unknown parameter '{name}__{unknown[0]}'; "
                    f"{name} has {', '.join(type(current).model_fields)}",
                    key=f"{name}__{unknown[0]}",
                    reason="unknown parameter",
                )
            setattr(self, name, validated(type(current), {**dict(current), **fields}, self, name))
        return self.check_params()

    # -- persistence -----------------------------------------------------------------------

    def _state(self) -> dict[str, Any]:
        """The fitted state as plain values and arrays (subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} cannot be saved")

    def _set_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`_state` returned (subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} cannot be loaded")

    def _saved_params(self) -> dict[str, Any]:
        params = {}
        for name, value in self.get_params(deep=False).items():
            if callable(value) and not isinstance(value, BaseModel):
                continue  # callbacks (on_epoch) are not settings of the model
            params[name] = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
        return params

    def save(self, path: str | os.PathLike[str], extra: dict[str, Any] | None = None) -> Path:
        """Write the parameters and the fitted state to ``path`` (atomically); ``extra``:
        plain values kept beside them."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": ALLOCATOR_FORMAT,
            "class": type(self).__name__,
            "params": encode_value(self._saved_params(), "params"),
            "state": encode_value(self._state(), "state"),
            "extra": encode_value(dict(extra or {}), "extra"),
        }
        with atomic_file(target) as temporary:
            torch.save(payload, temporary)
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Self:
        """The fitted allocator saved by :meth:`save` (``weights_only=True``); ``DataError``
        naming the file if it is unreadable or holds another class."""
        source = Path(path)
        payload = read_weights_only(source)
        found = payload.get("format") if isinstance(payload, dict) else None
        if (
            isinstance(found, str)
            and found.startswith("evofolio-allocator-")
            and (found != ALLOCATOR_FORMAT)
        ):
            raise DataError(
                f"{source}: allocator file format '{found}', written by another version of "
                f"evofolio; this one reads '{ALLOCATOR_FORMAT}' only: fit and save it again"
            )
        if found != ALLOCATOR_FORMAT:
            raise DataError(f"{source}: not an evofolio allocator file ({ALLOCATOR_FORMAT})")
        if payload.get("class") != cls.__name__:
            raise DataError(f"{source}: holds a {payload.get('class')}, not a {cls.__name__}")
        params = decode_value(payload["params"])
        allocator = cls()
        fields = {}
        for name, value in params.items():
            current = getattr(allocator, name, None)
            if isinstance(current, BaseModel):
                value = validated(type(current), value, allocator, name)
            fields[name] = value
        allocator.set_params(**fields)
        allocator._set_state(decode_value(payload["state"]))
        return allocator


def validated(model: type[BaseModel], values: dict[str, Any], owner: Any, name: str) -> Any:
    """``model`` validated from ``values``; ``ParameterError`` naming ``owner``'s key."""
    try:
        return model.model_validate(values)
    except ValidationError as error:
        field, message = first_error(error)
        raise ParameterError(
            f"{type(owner).__name__}: invalid value for '{name}__{field}': {message}",
            key=name if field == "(root)" else f"{name}__{field}",
            reason=message,
        ) from None
