"""Synthetic market data for the tests (importable from any test module)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def random_prices(
    n_days: int = 400, n_assets: int = 4, seed: int = 0, start: str = "2000-01-03"
) -> pd.DataFrame:
    """Geometric random walks on business days, named A0, A1, ..."""
    rng = np.random.default_rng(seed)
    drift = rng.normal(0.0003, 0.0002, n_assets)
    shocks = rng.normal(0.0, 0.012, (n_days, n_assets)) + drift
    values = 100.0 * np.exp(np.cumsum(shocks, axis=0))
    index = pd.bdate_range(start, periods=n_days, name="date")
    return pd.DataFrame(values, index=index, columns=[f"A{i}" for i in range(n_assets)])


def ragged_prices(
    n_days: int = 1500,
    n_assets: int = 20,
    seed: int = 0,
    *,
    births: float = 0.05,
    deaths: float = 0.05,
    drawdown: float = 0.4,
    start: str = "2000-01-03",
) -> pd.DataFrame:
    """Geometric random walks with lives: NaN before an asset lists and after it dies.

    Each year about ``births`` of the assets list late (their prices start then) and
    ``deaths`` die, always after a drawdown: an asset dies on the first day its price is
    ``drawdown`` below its running peak, if it is one of the assets drawn to be able to die
    (losers, with a negative drift). Assets named R0, R1, ...; R0 and R1 always live the
    whole period (so that some asset is alive on every date).
    """
    rng = np.random.default_rng(seed)
    years = n_days / 252
    mortal = rng.random(n_assets) < min(1.0, deaths * years)
    mortal[:2] = False
    drift = np.where(
        mortal, rng.normal(-0.0008, 0.0002, n_assets), rng.normal(0.0004, 0.0002, n_assets)
    )
    shocks = rng.normal(0.0, 0.015, (n_days, n_assets)) + drift
    values = 100.0 * np.exp(np.cumsum(shocks, axis=0))
    late = rng.random(n_assets) < min(1.0, births * years)
    late[:2] = False
    for j in np.flatnonzero(late):
        first = int(rng.integers(1, n_days // 2))
        values[:first, j] = np.nan
    for j in np.flatnonzero(mortal):
        life = values[:, j]
        peak = np.fmax.accumulate(np.where(np.isnan(life), -np.inf, life))
        down = np.flatnonzero((life < (1 - drawdown) * peak) & ~np.isnan(life))
        if down.size and down[0] < n_days - 2:
            values[down[0] + 1 :, j] = np.nan
    index = pd.bdate_range(start, periods=n_days, name="date")
    return pd.DataFrame(values, index=index, columns=[f"R{i}" for i in range(n_assets)])
