"""The model families: name -> allocator class, and nothing else.

:data:`FAMILIES` maps a family name (``model.family``, the search's ``family`` gene) to its
:class:`~evofolio.allocators.neural_base.NeuralAllocator` subclass. Adding a family is one
module (its network, the network's hyperparameters, its allocator) and one line here; the
contract tests (``evofolio.testing``) then run over it. Everything else is derived from the
class's parameters (``get_params``):

* its ``[model]`` keys (:func:`model_keys`): the ``network__*`` fields and the other
  parameters that are ``[model]`` settings (``features``, ``strategies``, ``horizon``);
* how a run configuration becomes an estimator (:func:`estimator_for`):
  ``clone(prototype).set_params(**params)``, as the search decodes every genome;
* which genes it reads (:func:`reads_param`, used by :mod:`evofolio.search.space`).
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from evofolio.allocators.attention import AssetAttentionAllocator
from evofolio.allocators.base import clone
from evofolio.allocators.neural import AssetLSTMAllocator
from evofolio.allocators.neural_base import NeuralAllocator
from evofolio.allocators.portfolio import PortfolioLSTMAllocator
from evofolio.config import RunConfig
from evofolio.config.strict import describe, mismatch
from evofolio.errors import ConfigError, ParameterError
from evofolio.training import load_checkpoint

__all__ = [
    "CONFIG_PATHS",
    "FAMILIES",
    "check_model",
    "check_model_keys",
    "check_model_types",
    "estimator_for",
    "family_of",
    "load_member",
    "model_keys",
    "param_for",
]

FAMILIES: dict[str, type[NeuralAllocator]] = {
    "asset": AssetLSTMAllocator,
    "portfolio": PortfolioLSTMAllocator,
    "asset_attention": AssetAttentionAllocator,
}
"""Every registered model family, by name."""

CONFIG_PATHS: Mapping[str, str] = {
    "seed": "seed",
    "strategy_window": "strategies.window",
    "covariance": "strategies.covariance",
    "cost_bps": "backtest.cost_bps",
}
"""Estimator parameters that come from run-level sections of the configuration rather than
``[model]`` / ``[training]`` (the strategy panel's settings, the seed)."""

_SKIP = {"network", "training", "on_epoch"}
"""Parameters that are not ``[model]`` keys: the nested settings themselves, the callback."""


def family_of(name: str, key: str = "model.family") -> type[NeuralAllocator]:
    """The registered family ``name``; ``ConfigError`` naming ``key`` and the choices."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise ConfigError(
            f"{key}: unknown family '{name}'; choose from {', '.join(FAMILIES)}"
        ) from None


def _prototype(family: str) -> NeuralAllocator:
    return family_of(family)()


_DEFAULT_PARAMS: dict[type[NeuralAllocator], dict[str, Any]] = {}
"""Each family class's default deep parameters, computed once (read for every gene of every
genome); keyed by the class, so a name registered anew is read anew."""


def _params(family: str) -> dict[str, Any]:
    cls = family_of(family)
    if cls not in _DEFAULT_PARAMS:
        _DEFAULT_PARAMS[cls] = cls().get_params(deep=True)
    return _DEFAULT_PARAMS[cls]


def param_for(family: str, target: str) -> str | None:
    """The parameter of ``family`` that config field ``target`` (``"model.hidden"``,
    ``"training.lr"``) sets: ``network__hidden``, ``training__lr``, a plain parameter of the
    same name (``model.features`` -> ``features``), or ``None`` if the family has none."""
    section, _, field = target.partition(".")
    params = _params(family)
    if section == "training":
        return f"training__{field}" if f"training__{field}" in params else None
    if section == "model" and field != "family":
        if f"network__{field}" in params:
            return f"network__{field}"
        if field in params and field not in _SKIP and field not in CONFIG_PATHS:
            return field
    return None


def model_keys(family: str) -> frozenset[str]:
    """The ``[model]`` keys ``family`` reads: ``family``, the fields of its ``network``
    parameter and its other parameters but the run-level ones (:data:`CONFIG_PATHS`)."""
    keys = {"family"}
    for name in _params(family):
        section, sep, field = name.partition("__")
        if sep and section == "network":
            keys.add(field)
        elif not sep and name not in _SKIP and name not in CONFIG_PATHS:
            keys.add(name)
    return frozenset(keys)


def _lookup(config: RunConfig, path: str) -> Any:
    value: Any = config
    for part in path.split("."):
        value = getattr(value, part)
    return value


def _config_key(param: str) -> str:
    """The configuration key that sets estimator parameter ``param``."""
    section, sep, field = param.partition("__")
    if sep and section == "network":
        return f"model.{field}"
    if sep and section == "training":
        return f"training.{field}"
    return CONFIG_PATHS.get(param, f"model.{param}")


def estimator_for(config: RunConfig, source: str = "config", **params: Any) -> NeuralAllocator:
    """A fresh, unfitted allocator of ``config.model.family`` with ``config``'s settings:
    ``clone(prototype).set_params(...)`` from the ``[model]`` keys given (the others keep the
    family's defaults), every ``[training]`` field and :data:`CONFIG_PATHS`; ``params`` are
    set last (e.g. ``on_epoch``, ``seed``).

    Raises:
        ConfigError: naming ``source`` and the key: an unknown family, a ``[model]`` key the
            family does not read, or a value out of the parameter's bounds.
    """
    family = family_of(config.model.family, f"{source}: model.family").family
    check_model_keys(config, source, config.model.settings())
    prototype = _prototype(family)
    known = prototype.get_params(deep=True)
    values: dict[str, Any] = {}
    for key, value in config.model.settings().items():
        name = param_for(family, f"model.{key}")
        assert name is not None  # check_model_keys refused the others
        values[name] = value
    for field in type(config.training).model_fields:
        if f"training__{field}" in known:
            values[f"training__{field}"] = getattr(config.training, field)
    for name, path in CONFIG_PATHS.items():
        if name in known:
            values[name] = _lookup(config, path)
    try:
        return clone(prototype).set_params(**values, **params).check_params()
    except ParameterError as error:
        key = _config_key(error.key) if error.key else "model"
        raise ConfigError(f"{source}: invalid value for '{key}': {error.reason}") from None


def check_model(config: RunConfig, source: str = "config") -> RunConfig:
    """``config`` if its ``[model]`` section is valid for its family: every key one the
    family reads (:func:`check_model_keys`) and every value within the bounds of the
    parameter it sets, and every name in ``search.families`` a registered family; else
    ``ConfigError`` naming ``source`` and the key."""
    for index, name in enumerate(config.search.families):
        family_of(name, f"{source}: search.families[{index}]")
    check_model_types(config, source)
    estimator_for(config, source)
    return config


def check_model_types(config: RunConfig, source: str = "config") -> RunConfig:
    """``config`` if every ``[model]`` setting is of the type of the family parameter it sets
    (:func:`evofolio.config.strict.mismatch`: ``hidden = "32"`` is text, not an integer;
    ``hard = "no"`` is no boolean); else ``ConfigError`` naming ``source``, the dotted key,
    the value and the type expected. Keys the family does not read are left to
    :func:`check_model_keys`."""
    family = family_of(config.model.family, f"{source}: model.family").family
    for key, value in config.model.settings().items():
        annotation = _param_type(family, key)
        found = None if annotation is None else mismatch(value, annotation, f"model.{key}")
        if found is not None:
            raise ConfigError(describe(source, *found))
    return config


def _param_type(family: str, key: str) -> Any:
    """The declared type of the parameter ``[model]`` key ``key`` sets (``None``: none)."""
    name = param_for(family, f"model.{key}")
    if name is None:
        return None
    cls = family_of(family)
    section, sep, field = name.partition("__")
    if sep:
        network = cls().get_params(deep=False).get(section)
        if isinstance(network, BaseModel):
            info = type(network).model_fields.get(field)
            return None if info is None else info.annotation
        return None
    return typing.get_type_hints(cls.__init__).get(name)


def check_model_keys(
    config: RunConfig, source: str = "config", keys: Iterable[str] | None = None
) -> RunConfig:
    """``config`` if its ``[model]`` section sets only keys its family reads
    (:func:`model_keys`); else ``ConfigError`` naming ``source``, the key and the family.

    A family's parameters thus form its own ``[model]`` schema, a union over the registry
    discriminated by ``model.family``: a config for one family cannot carry another's keys
    silently. The keys checked are ``keys``, by default every setting ``[model]`` holds.
    """
    family = family_of(config.model.family, f"{source}: model.family").family
    given = set(config.model.settings() if keys is None else keys) - {"family"}
    allowed = model_keys(family)
    foreign = sorted(given - allowed)
    if not foreign:
        return config
    key = foreign[0]
    owners = [name for name in FAMILIES if key in model_keys(name)]
    belongs = " / ".join(owners) or "no family"
    close = difflib.get_close_matches(key, sorted(allowed), n=1)
    if not owners and close:
        belongs += f" (did you mean '{close[0]}'?)"
    raise ConfigError(
        f"{source}: model.{key} is not a setting of the {family} family "
        f"(model.family = '{family}'); it belongs to {belongs}. "
        f"The {family} family reads: {', '.join(sorted(allowed))}"
    )


def load_member(path: str | Path) -> NeuralAllocator:
    """The fitted allocator in checkpoint ``path``, of whichever registered family wrote it
    (``DataError`` naming the file if it is unreadable or of no registered family)."""
    networks = {name: cls.network_cls for name, cls in FAMILIES.items()}
    network, payload = load_checkpoint(path, networks)
    return FAMILIES[payload["model"]].from_checkpoint(path, network, payload)
