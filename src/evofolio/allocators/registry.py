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

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from evofolio.allocators.attention import AssetAttentionAllocator
from evofolio.allocators.base import clone
from evofolio.allocators.neural import AssetLSTMAllocator
from evofolio.allocators.neural_base import NeuralAllocator
from evofolio.allocators.portfolio import PortfolioLSTMAllocator
from evofolio.config import ModelConfig, RunConfig
from evofolio.errors import ConfigError
from evofolio.training import load_checkpoint

__all__ = [
    "CONFIG_PATHS",
    "FAMILIES",
    "check_model_keys",
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


def family_of(name: str, key: str = "model.family") -> type[NeuralAllocator]:
    """The registered family ``name``; ``ConfigError`` naming ``key`` and the choices."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise ConfigError(
            f"{key}: unknown family '{name}'; choose from {', '.join(FAMILIES)}"
        ) from None


def param_for(family: str, target: str) -> str | None:
    """The parameter of ``family`` that config field ``target`` (``"model.hidden"``,
    ``"training.lr"``) sets: ``network__hidden``, ``training__lr``, a plain parameter of the
    same name (``model.features`` -> ``features``), or ``None`` if the family has none."""
    section, _, field = target.partition(".")
    params = _prototype(family).get_params(deep=True)
    if section == "training":
        return f"training__{field}" if f"training__{field}" in params else None
    if section == "model":
        for name in (f"network__{field}", field):
            if name in params and name not in _SKIP:
                return name
    return None


def _prototype(family: str) -> NeuralAllocator:
    return family_of(family)()


def model_keys(family: str) -> frozenset[str]:
    """The ``[model]`` keys ``family`` reads: ``family`` and every ``[model]`` field one of
    its parameters takes (:func:`param_for`)."""
    keys = {"family"}
    for field in ModelConfig.model_fields:
        if field != "family" and param_for(family, f"model.{field}") is not None:
            keys.add(field)
    return frozenset(keys)


def _lookup(config: RunConfig, path: str) -> Any:
    value: Any = config
    for part in path.split("."):
        value = getattr(value, part)
    return value


def estimator_for(config: RunConfig, **params: Any) -> NeuralAllocator:
    """A fresh, unfitted allocator of ``config.model.family`` with ``config``'s settings:
    ``clone(prototype).set_params(...)`` from its ``[model]`` and ``[training]`` fields and
    :data:`CONFIG_PATHS`; ``params`` are set last (e.g. ``on_epoch``, ``seed``).
    ``ConfigError`` for an unknown family; ``ParameterError`` for a value out of bounds."""
    family = config.model.family
    prototype = _prototype(family)
    values: dict[str, Any] = {}
    for name in prototype.get_params(deep=True):
        section, _, field = name.partition("__")
        if section == "network" and field and field in ModelConfig.model_fields:
            values[name] = getattr(config.model, field)
        elif section == "training" and field:
            values[name] = getattr(config.training, field)
        elif name in CONFIG_PATHS:
            values[name] = _lookup(config, CONFIG_PATHS[name])
        elif name not in _SKIP and not field and name in ModelConfig.model_fields:
            values[name] = getattr(config.model, name)
    return clone(prototype).set_params(**values, **params)


def check_model_keys(
    config: RunConfig, source: str = "config", keys: Iterable[str] | None = None
) -> RunConfig:
    """``config`` if its ``[model]`` section sets only keys its family reads
    (:func:`model_keys`); else ``ConfigError`` naming ``source``, the key and the family.

    A family's parameters thus form its own ``[model]`` schema, a union over the registry
    discriminated by ``model.family``: a config for one family cannot carry another's keys
    silently. The keys checked are ``keys``, by default those the file set (pydantic's
    ``model_fields_set``, so call it on a config just read from a file; after command-line
    overrides, pass the file's keys).
    """
    family = family_of(config.model.family, f"{source}: model.family").family
    given = config.model.model_fields_set if keys is None else set(keys)
    allowed = model_keys(family)
    foreign = sorted(given - allowed)
    if not foreign:
        return config
    key = foreign[0]
    owners = [name for name in FAMILIES if key in model_keys(name)]
    raise ConfigError(
        f"{source}: model.{key} is not a setting of the {family} family "
        f"(model.family = '{family}'); it belongs to {' / '.join(owners) or 'no family'}. "
        f"The {family} family reads: {', '.join(sorted(allowed))}"
    )


def load_member(path: str | Path) -> NeuralAllocator:
    """The fitted allocator in checkpoint ``path``, of whichever registered family wrote it
    (``DataError`` naming the file if it is unreadable or of no registered family)."""
    networks = {name: cls.network_cls for name, cls in FAMILIES.items()}
    network, payload = load_checkpoint(path, networks)
    return FAMILIES[payload["model"]].from_checkpoint(path, network, payload)
