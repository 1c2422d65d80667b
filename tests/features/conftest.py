"""Synthetic price data for the feature tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

PriceFactory = Callable[..., tuple[pd.DataFrame, pd.Series]]


def random_walk(
    n_days: int = 600, n_assets: int = 4, seed: int = 0
) -> tuple[pd.DataFrame, pd.Series]:
    """Geometric random-walk prices ``(n_days, n_assets)`` and a correlated market series."""
    rng = np.random.default_rng(seed)
    market_rets = rng.normal(0.0003, 0.01, n_days)
    betas = rng.uniform(0.5, 1.5, n_assets)
    rets = market_rets[:, None] * betas + rng.normal(0.0, 0.012, (n_days, n_assets))
    dates = pd.bdate_range("2000-01-03", periods=n_days)
    prices = pd.DataFrame(
        100.0 * np.exp(np.cumsum(rets, axis=0)),
        index=dates,
        columns=[f"A{i}" for i in range(n_assets)],
    )
    market = pd.Series(1000.0 * np.exp(np.cumsum(market_rets)), index=dates, name="market")
    return prices, market


@pytest.fixture
def make_prices() -> PriceFactory:
    """Factory: ``make_prices(n_days, n_assets, seed) -> (prices, market)``."""
    return random_walk


@pytest.fixture
def prices_and_market() -> tuple[pd.DataFrame, pd.Series]:
    """600 days x 4 assets of seeded random-walk prices, and their market series."""
    return random_walk(600, 4, seed=0)
