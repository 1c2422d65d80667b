"""Build allocators from a run configuration: one place that knows every family."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from evofolio.allocators.neural import AssetLSTMAllocator
from evofolio.allocators.strategy_panel import (
    StrategyPanel,
    build_strategy_panel,
    default_cache_dir,
)
from evofolio.backtest import Allocator, TradingRules
from evofolio.config import RunConfig
from evofolio.errors import ConfigError
from evofolio.strategies import STRATEGIES
from evofolio.training.loop import Progress


class NeuralAllocator(Allocator, Protocol):
    """An allocator whose fitted state can be written to a checkpoint."""

    def save(self, path: str | Path, extra: dict[str, Any] | None = None) -> Path:
        """Write the fitted model, scaler and settings to ``path``."""
        ...


NeuralFactory = Callable[[], NeuralAllocator]

MODEL2_REFIT = "monthly"
"""Model 2's inputs: every classic rule refit on this schedule, whatever the trading rules."""


def model2_panel(prices: pd.DataFrame, config: RunConfig) -> StrategyPanel:
    """Model 2's input panel over ``prices``: every registered strategy, refit monthly on its
    trailing window, at the configured cost (cached on disk; causal at every date)."""
    return build_strategy_panel(
        prices,
        list(STRATEGIES),
        window=config.strategies.window,
        rules=TradingRules(MODEL2_REFIT, config.backtest.cost_bps),
        cache_dir=default_cache_dir(),
    )


def neural_factory(
    config: RunConfig,
    *,
    market: pd.Series | None = None,
    panel: StrategyPanel | None = None,
    on_epoch: Progress | None = None,
) -> NeuralFactory:
    """A factory of fresh, unfitted allocators of ``config.model.family``.

    Model 1 (``asset``) reads ``market`` for its beta features; Model 2 (``portfolio``) needs
    the precomputed strategy ``panel``.
    """
    family = config.model.family
    if family == "asset":

        def make_asset() -> NeuralAllocator:
            return AssetLSTMAllocator(
                config.model, config.training, market=market, seed=config.seed, on_epoch=on_epoch
            )

        return make_asset
    if family == "portfolio":
        from evofolio.allocators.portfolio import PortfolioLSTMAllocator

        if panel is None:
            raise ValueError("Model 2 needs the strategy panel")

        def make_portfolio() -> NeuralAllocator:
            return PortfolioLSTMAllocator(
                config.model, config.training, panel=panel, seed=config.seed, on_epoch=on_epoch
            )

        return make_portfolio
    raise ConfigError(f"model.family: unknown family '{family}'")


def member_loader(
    config: RunConfig, prices: pd.DataFrame, market: pd.Series | None = None
) -> Callable[[Path], NeuralAllocator]:
    """A function that reads one fitted allocator of ``config.model.family`` from a
    checkpoint, ready to decide on ``prices`` (Model 1 reads ``market`` for beta; Model 2's
    strategy panel is built from ``prices``)."""
    family = config.model.family
    if family == "asset":
        return functools.partial(AssetLSTMAllocator.load, market=market)
    if family == "portfolio":
        from evofolio.allocators.portfolio import PortfolioLSTMAllocator

        return functools.partial(PortfolioLSTMAllocator.load, panel=model2_panel(prices, config))
    raise ConfigError(f"model.family: unknown family '{family}'")
