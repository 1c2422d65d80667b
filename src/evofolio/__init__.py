"""evofolio: LSTM portfolio allocators searched by a genetic algorithm, judged out of sample.

The public API, for notebooks and scripts (each name is imported when first used, so
``import evofolio`` is cheap and does not import torch)::

    import evofolio as ev

    data = ev.load_data(prices)                  # a source string or a DataFrame (dates x assets)
    classic = ev.backtest("all", data)           # classic rules, after costs
    result = ev.run(config, data, out="runs/x")  # search -> champion -> holdout -> report
    weights = ev.load_champion("runs/x").allocate(prices)

    model = ev.AssetLSTMAllocator().set_params(network__hidden=32)  # an estimator
    result = ev.train(model, data)               # walked forward, as `evofolio train`

Data: :func:`load_data`, :class:`MarketData`. Configuration: :func:`load_config`,
:class:`RunConfig`, :func:`load_preset`, :func:`preset_names`. Jobs: :func:`run`,
:func:`evolve` (→ :class:`RunResult`), :func:`validate` (→ :class:`ValidateResult`),
:func:`backtest` (→ :class:`BacktestRun`), :func:`load_champion` (→ :class:`Champion`).
Estimators (scikit-learn style: ``get_params``/``set_params``/``clone``, ``fit(X)``,
``allocate(X, dates)``): :class:`AssetLSTMAllocator` (Model 1), :class:`AssetAttentionAllocator`,
:class:`PortfolioLSTMAllocator` (Model 2), :class:`ClassicAllocator`,
:class:`EqualBlendAllocator`, :class:`SeedEnsemble`; ``X`` is prices, :class:`MarketData` or
:class:`AllocationData`; :func:`train` walks one forward; :class:`AllocatorOptimization`
(or ``allocator.as_optimization()``) runs one inside skfolio. Registries (plain dicts, name →
entry): ``FEATURES``, ``STRATEGIES``, ``FAMILIES`` (name → allocator class), ``OBJECTIVES``.
The backtest engine is the subpackage :mod:`evofolio.backtesting` (``evofolio.backtest`` is
the function). Errors users can cause:
:class:`EvofolioError` and its subclasses :class:`DataError`, :class:`ConfigError`,
:class:`UsageError`, :class:`OutputError` (an output cannot be written: full disk, read-only
directory, I/O error) and :class:`SearchRunningError` (a search runs in the run directory).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from evofolio.errors import (
    ConfigError,
    DataError,
    EvofolioError,
    OutputError,
    SearchRunningError,
    UsageError,
)

if TYPE_CHECKING:
    from evofolio.allocators.attention import AssetAttentionAllocator
    from evofolio.allocators.bridge import AllocatorOptimization
    from evofolio.allocators.classic import ClassicAllocator, EqualBlendAllocator
    from evofolio.allocators.ensemble import SeedEnsemble
    from evofolio.allocators.neural import AssetLSTMAllocator
    from evofolio.allocators.portfolio import PortfolioLSTMAllocator
    from evofolio.allocators.registry import FAMILIES
    from evofolio.api.backtest import BacktestRun, backtest
    from evofolio.api.champion import Champion, load_champion
    from evofolio.api.config import load_config, load_preset
    from evofolio.api.data import load_data
    from evofolio.api.search import RunResult, evolve, run, search_worker
    from evofolio.api.train import TrainResult, train
    from evofolio.api.validate import ValidateResult, validate
    from evofolio.config import RunConfig, preset_names
    from evofolio.data import AllocationData, MarketData
    from evofolio.features import FEATURES
    from evofolio.objectives import OBJECTIVES
    from evofolio.strategies import STRATEGIES

from evofolio.version import __version__

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
    "AllocationData": "evofolio.data",
    # torch: imported only when asked for
    "FAMILIES": "evofolio.allocators.registry",
    "AssetLSTMAllocator": "evofolio.allocators.neural",
    "AssetAttentionAllocator": "evofolio.allocators.attention",
    "PortfolioLSTMAllocator": "evofolio.allocators.portfolio",
    "ClassicAllocator": "evofolio.allocators.classic",
    "EqualBlendAllocator": "evofolio.allocators.classic",
    "SeedEnsemble": "evofolio.allocators.ensemble",
    "AllocatorOptimization": "evofolio.allocators.bridge",
    "TrainResult": "evofolio.api.train",
    "train": "evofolio.api.train",
    "FEATURES": "evofolio.features",
    "OBJECTIVES": "evofolio.objectives",  # torch: imported only when asked for
    "STRATEGIES": "evofolio.strategies",
}

__all__ = [
    "FAMILIES",
    "FEATURES",
    "OBJECTIVES",
    "STRATEGIES",
    "AllocationData",
    "AllocatorOptimization",
    "AssetAttentionAllocator",
    "AssetLSTMAllocator",
    "BacktestRun",
    "Champion",
    "ClassicAllocator",
    "ConfigError",
    "DataError",
    "EqualBlendAllocator",
    "EvofolioError",
    "MarketData",
    "OutputError",
    "PortfolioLSTMAllocator",
    "RunConfig",
    "RunResult",
    "SearchRunningError",
    "SeedEnsemble",
    "TrainResult",
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
    "train",
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
