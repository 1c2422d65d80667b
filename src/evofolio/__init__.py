"""evofolio: LSTM portfolio allocators searched by a genetic algorithm, judged out of sample.

The public API, for notebooks and scripts (each name is imported when first used, so
``import evofolio`` is cheap and does not import torch)::

    import evofolio as ev

    data = ev.load_data(prices)                  # a source string or a DataFrame (dates x assets)
    classic = ev.backtest("all", data)           # classic rules, after costs
    result = ev.run(config, data, out="runs/x")  # search -> champion -> holdout -> report
    weights = ev.load_champion("runs/x").allocate(prices)

Data: :func:`load_data`, :class:`MarketData`. Configuration: :func:`load_config`,
:class:`RunConfig`, :func:`load_preset`, :func:`preset_names`. Jobs: :func:`run`,
:func:`evolve` (→ :class:`RunResult`), :func:`validate` (→ :class:`ValidateResult`),
:func:`backtest` (→ :class:`BacktestRun`), :func:`load_champion` (→ :class:`Champion`).
Registries (plain dicts, name → entry): ``FEATURES``, ``STRATEGIES``, ``FAMILIES``,
``OBJECTIVES``. Errors users can cause:
:class:`EvofolioError` and its subclasses :class:`DataError`, :class:`ConfigError`,
:class:`UsageError`.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from evofolio.errors import ConfigError, DataError, EvofolioError, UsageError

if TYPE_CHECKING:
    from evofolio.allocators.families import FAMILIES
    from evofolio.api.backtest import BacktestRun, backtest
    from evofolio.api.champion import Champion, load_champion
    from evofolio.api.config import load_config, load_preset
    from evofolio.api.data import load_data
    from evofolio.api.search import RunResult, evolve, run, search_worker
    from evofolio.api.validate import ValidateResult, validate
    from evofolio.config import RunConfig, preset_names
    from evofolio.data import MarketData
    from evofolio.features import FEATURES
    from evofolio.objectives import OBJECTIVES
    from evofolio.strategies import STRATEGIES

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "BacktestRun": "evofolio.api.backtest",
    "backtest": "evofolio.api.backtest",
    "Champion": "evofolio.api.champion",
    "load_champion": "evofolio.api.champion",
    "load_data": "evofolio.api.data",
    "RunResult": "evofolio.api.search",
    "evolve": "evofolio.api.search",
    "run": "evofolio.api.search",
    "search_worker": "evofolio.api.search",
    "ValidateResult": "evofolio.api.validate",
    "validate": "evofolio.api.validate",
    "RunConfig": "evofolio.config",
    "load_config": "evofolio.api.config",
    "load_preset": "evofolio.api.config",
    "preset_names": "evofolio.config",
    "MarketData": "evofolio.data",
    "FAMILIES": "evofolio.allocators.families",  # torch: imported only when asked for
    "FEATURES": "evofolio.features",
    "OBJECTIVES": "evofolio.objectives",  # torch: imported only when asked for
    "STRATEGIES": "evofolio.strategies",
}

__all__ = [
    "FAMILIES",
    "FEATURES",
    "OBJECTIVES",
    "STRATEGIES",
    "BacktestRun",
    "Champion",
    "ConfigError",
    "DataError",
    "EvofolioError",
    "MarketData",
    "RunConfig",
    "RunResult",
    "UsageError",
    "ValidateResult",
    "__version__",
    "backtest",
    "evolve",
    "load_champion",
    "load_config",
    "load_data",
    "load_preset",
    "preset_names",
    "run",
    "search_worker",
    "validate",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562) and cache the name here."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'evofolio' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The ``evofolio`` module, whose public ``backtest`` function shares its name with the
    ``evofolio.backtest`` subpackage: when that subpackage is first imported, the import
    system sets it as the attribute ``evofolio.backtest``; this keeps the function there.
    ``from evofolio.backtest import ...`` still reaches the subpackage (through
    ``sys.modules``); ``evofolio.backtest`` as an attribute is the function."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
