"""Build allocators from a run configuration, through the family registry
(:data:`evofolio.allocators.families.FAMILIES`): no branch on a family name here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from evofolio.allocators.families import FamilyInputs, NeuralAllocator, family_of
from evofolio.allocators.strategy_panel import (
    StrategyPanel,
    build_strategy_panel,
    default_cache_dir,
)
from evofolio.backtest import TradingRules
from evofolio.config import RunConfig
from evofolio.strategies import STRATEGIES
from evofolio.training.loop import Progress

__all__ = [
    "MODEL2_REFIT",
    "NeuralAllocator",
    "NeuralFactory",
    "member_loader",
    "model2_panel",
    "needs_panel",
    "neural_factory",
]

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
        covariance=config.strategies.covariance,
    )


def needs_panel(families: str | list[str]) -> bool:
    """Whether any of ``families`` reads the classic-strategy panel (``ConfigError`` for an
    unknown name)."""
    names = [families] if isinstance(families, str) else families
    return any(family_of(name).needs_panel for name in names)


def neural_factory(
    config: RunConfig,
    *,
    market: pd.Series | None = None,
    panel: StrategyPanel | None = None,
    on_epoch: Progress | None = None,
) -> NeuralFactory:
    """A factory of fresh, unfitted allocators of ``config.model.family``.

    Families that read the market series (beta features) get ``market``; those that read the
    classic-strategy panel need ``panel`` (``ValueError`` without it). ``ConfigError`` for an
    unknown family.
    """
    family = family_of(config.model.family)
    return family.factory(config, FamilyInputs(market=market, panel=panel, on_epoch=on_epoch))


def member_loader(
    config: RunConfig, prices: pd.DataFrame, market: pd.Series | None = None
) -> Callable[[Path], NeuralAllocator]:
    """A function that reads one fitted allocator of ``config.model.family`` from a
    checkpoint, ready to decide on ``prices`` (families that read the market get ``market``;
    the strategy panel of those that need it is built from ``prices``)."""
    family = family_of(config.model.family)
    panel = model2_panel(prices, config) if family.needs_panel else None
    return family.loader(FamilyInputs(market=market, panel=panel))
