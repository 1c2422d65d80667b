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
