"""Build allocators from a run configuration: one place that knows every family."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from evofolio.allocators.neural import AssetLSTMAllocator
from evofolio.allocators.strategy_panel import StrategyPanel
from evofolio.backtest import Allocator
from evofolio.config import RunConfig
from evofolio.errors import ConfigError
from evofolio.training.loop import Progress


class NeuralAllocator(Allocator, Protocol):
    """An allocator whose fitted state can be written to a checkpoint."""

    def save(self, path: str | Path, extra: dict[str, Any] | None = None) -> Path:
        """Write the fitted model, scaler and settings to ``path``."""
        ...


NeuralFactory = Callable[[], NeuralAllocator]


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
