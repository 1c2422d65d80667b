"""Volatility features: annualised realised volatility of daily log returns.

``vol_k`` is the sample standard deviation (``ddof=1``) of the last ``k`` daily log returns
times ``sqrt(252)``. ``downside_vol_63`` is the annualised downside semi-deviation around
zero, ``sqrt(mean(min(r, 0)^2) * 252)`` over the last 63 daily log returns: only losses
count. A window of ``k`` daily returns needs ``k + 1`` prices, so the warm-up is ``k``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evofolio.features.base import TRADING_DAYS, Feature, daily_log_returns, like


def realised_vol(prices: pd.DataFrame, window: int) -> pd.DataFrame:
    """Annualised rolling std of daily log returns, ``(T, N)``; first ``window`` rows NaN."""
    rets = daily_log_returns(prices)
    return rets.rolling(window, min_periods=window).std(ddof=1) * np.sqrt(TRADING_DAYS)


def downside_vol(prices: pd.DataFrame, window: int) -> pd.DataFrame:
    """Annualised downside semi-deviation (target 0), ``(T, N)``; first ``window`` rows NaN."""
    rets = daily_log_returns(prices)
    losses = np.minimum(rets.to_numpy(), 0.0)
    mean_sq = like(losses * losses, prices).rolling(window, min_periods=window).mean()
    # The online rolling mean can dip a hair below 0 on all-zero windows.
    return (mean_sq.clip(lower=0.0) * TRADING_DAYS) ** 0.5


def vol_21(prices: pd.DataFrame, market: pd.Series) -> pd.DataFrame:
    """Annualised 21-day realised volatility, ``(T, N)``."""
    return realised_vol(prices, 21)


def vol_63(prices: pd.DataFrame, market: pd.Series) -> pd.DataFrame:
    """Annualised 63-day realised volatility, ``(T, N)``."""
    return realised_vol(prices, 63)


def downside_vol_63(prices: pd.DataFrame, market: pd.Series) -> pd.DataFrame:
    """Annualised 63-day downside semi-deviation, ``(T, N)``."""
    return downside_vol(prices, 63)


FAMILY: tuple[Feature, ...] = (
    Feature("vol_21", vol_21, 21, "annualised 21-day std of daily log returns"),
    Feature("vol_63", vol_63, 63, "annualised 63-day std of daily log returns"),
    Feature(
        "downside_vol_63",
        downside_vol_63,
        63,
        "annualised 63-day downside semi-deviation (target 0) of daily log returns",
    ),
)
